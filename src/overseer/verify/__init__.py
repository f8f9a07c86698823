"""Verification: the stages a change passes before it lands, and the pipeline that runs them.

Stages are chosen by name (``verify.stages`` in overseer.yaml) through ``STAGES``, short name -> ``module:Class``;
each is built with its own part of the config (``DiffStage(config.diff)``, ``ReviewStage(config.review, gateway)``)::

    stages = build_stages(config.verify, gateway=gateway)
    results = Pipeline(stages).run(context_for(worktree, base, head))

The review stage is left out when there is no model gateway or ``verify.review.enabled`` is false.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from overseer.config.verify import VerifyConfig
from overseer.domain import ValidationError
from overseer.ports import ModelGateway, Stage
from overseer.verify.diff import DiffStage
from overseer.verify.pipeline import Pipeline, context_for
from overseer.verify.secrets import SecretsStage
from overseer.verify.static import StaticStage
from overseer.verify.tests_stage import TestsStage

__all__ = ["STAGES", "DiffStage", "Pipeline", "SecretsStage", "StaticStage", "TestsStage", "build_stages", "context_for", "load_stage"]

STAGES: dict[str, str] = {
    "diff": "overseer.verify.diff:DiffStage",
    "static": "overseer.verify.static:StaticStage",
    "secrets": "overseer.verify.secrets:SecretsStage",
    "tests": "overseer.verify.tests_stage:TestsStage",
    "review": "overseer.verify.review:ReviewStage",
}


def load_stage(name: str) -> Any:
    """The stage class registered as ``name``."""
    path = STAGES.get(name)
    if path is None:
        raise ValidationError("verify.stages", f"unknown stage {name!r} (stages: {', '.join(STAGES)})")
    module_name, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ValidationError("verify.stages", f"stage {name!r} points at {path}, which cannot be loaded: {err}") from err


def build_stages(config: VerifyConfig, *, gateway: ModelGateway | None = None, names: Sequence[str] | None = None) -> list[Stage]:
    """The stages of ``names`` (default ``config.stages``), in that order, each built with its part of ``config``."""
    stages: list[Stage] = []
    for name in names if names is not None else config.stages:
        if name == "review" and (gateway is None or not config.review.enabled):
            continue
        factory = load_stage(name)
        sub = getattr(config, name)
        stages.append(factory(sub, gateway) if name == "review" else factory(sub))
    return stages
