"""Skills against real parts: a SQLite store, the routed gateway, LiteLLM and scripted model servers (the only fake is
the model itself, behind HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from overseer.config import OverseerConfig
from overseer.llm.prices import StaticPrices
from overseer.llm.transport import LiteLLMTransport
from overseer.modelserver import Script, ScriptedModelServer
from overseer.scheduler import QuotaBook, Router
from overseer.scheduler.gateway import RoutedGateway
from overseer.skills import Catalog, EventLogHistory, Relevant, SkillRunner
from overseer.store.sql.store import SqlStore

PRICES = {"openai/small-model": (1e-6, 2e-6), "openai/strong-model": (1e-5, 3e-5)}


def profile(provider: str, model: str, base_url: str) -> dict[str, Any]:
    return {"harness": "command", "command": ["true"], "provider": provider, "model": model,
            "options": {"litellm_model": f"openai/{model}", "api_base": base_url + "/v1", "env_key": "TEST_KEY"}}


def skills_config(small: str, strong: str, skills: Mapping[str, Any] | None = None) -> OverseerConfig:
    """Two profiles on two providers: ``fast`` (small-model on the server at ``small``) and ``strong`` (strong-model at
    ``strong``); routing sends every call to ``strong``."""
    return OverseerConfig.model_validate({
        "profiles": {"fast": profile("cheap", "small-model", small), "strong": profile("big", "strong-model", strong)},
        "providers": {"cheap": {"kind": "api", "pool": 2}, "big": {"kind": "api", "pool": 2}},
        "routing": {"rules": [{"chain": ["strong"]}]},
        "skills": dict(skills or {}),
    })


@pytest.fixture
def small() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script()) as srv:
        yield srv


@pytest.fixture
def strong() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script()) as srv:
        yield srv


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore.from_url(f"sqlite:///{tmp_path / 'overseer.db'}")
    yield opened
    opened.close()


MakeRunner = Callable[..., SkillRunner]


@pytest.fixture
def make_runner(small: ScriptedModelServer, strong: ScriptedModelServer, store: SqlStore) -> MakeRunner:
    """A runner on the real gateway; ``skills`` is the ``skills:`` section, ``folder`` the project's skills."""

    def make(skills: Mapping[str, Any] | None = None, relevant: Relevant | None = None, folder: Path | None = None,
             on: SqlStore | None = None) -> SkillRunner:
        target = on or store
        cfg = skills_config(small.base_url, strong.base_url, skills)
        gateway = RoutedGateway(cfg, Router.from_config(cfg), QuotaBook(target, cfg.providers), LiteLLMTransport(),
                                StaticPrices(PRICES), {"TEST_KEY": "sk-test"}.get, actor="skills")

        def record(kind: str, data: Mapping[str, Any]) -> None:
            target.record_event(kind, actor="skills", data=data)

        return SkillRunner(gateway, Catalog.load(folder), cfg, relevant=relevant, history=EventLogHistory(target), record=record)

    return make
