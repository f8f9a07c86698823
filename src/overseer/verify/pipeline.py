"""The verification pipeline: stages in order, cheap to expensive, stopping at the first that blocks.

    pipeline = Pipeline(build_stages(config.verify, gateway=gateway))
    results = pipeline.run(context_for(worktree, base, head, task_id=task.id, title=task.title))
    verdict = verdict_for(results)

Each stage is timed. A stage that raises becomes an ERROR result ("internal error: ...") — never a pass. After the
first result that blocks (FAILED, TIMEOUT or ERROR) every later stage gets a SKIPPED result saying why
("not run: tests failed"), so the results always name every stage.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from overseer.domain.verification import StageResult, StageStatus
from overseer.ports import CheckContext, Stage
from overseer.verify.git import changed_files

__all__ = ["Pipeline", "context_for"]


def context_for(workdir: Path, base: str, head: str, **fields: Any) -> CheckContext:
    """The context of the change ``base..head`` in ``workdir``, its files read from git; ``fields``: task_id, title, body..."""
    return CheckContext(workdir=workdir, base_commit=base, head_commit=head, files=tuple(changed_files(workdir, base, head)), **fields)


class Pipeline:
    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def run(self, ctx: CheckContext, on_stage: Callable[[StageResult], None] | None = None) -> list[StageResult]:
        """One result per stage, in order; ``on_stage`` hears each as it is decided (skipped ones too)."""
        results: list[StageResult] = []
        stopped_by: StageResult | None = None
        for stage in self.stages:
            if stopped_by is not None:
                result = StageResult(stage.name, StageStatus.SKIPPED, detail=f"not run: {stopped_by.stage} {stopped_by.status.value}")
            else:
                result = _run_one(stage, ctx)
                if result.blocks:
                    stopped_by = result
            results.append(result)
            if on_stage is not None:
                on_stage(result)
        return results


def _run_one(stage: Stage, ctx: CheckContext) -> StageResult:
    started = time.monotonic()
    try:
        result = stage.run(ctx)
    except Exception as err:  # a stage must never raise; when one does, it could not judge
        return StageResult(stage.name, StageStatus.ERROR, duration_s=time.monotonic() - started,
                           detail=f"internal error: {type(err).__name__}: {err}")
    return dataclasses.replace(result, duration_s=time.monotonic() - started)
