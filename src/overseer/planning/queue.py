"""Requests lined up for planning later (``overseer plan "..." --queue``), planned one after another by ``overseer plan
run-queue`` — what an overnight cron or ``overseer serve`` calls. The queue is ``.overseer/plans/queue.json``, rewritten
atomically under a file lock, so two commands adding at once both land."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from overseer.config import STATE_DIR
from overseer.domain import OverseerError, ValidationError, utcnow
from overseer.planning.planner import PlanOutcome

__all__ = ["PlanQueue", "Queued", "queue_path"]

QUEUED, PLANNED, OVER_BUDGET, FAILED = "queued", "planned", "over_budget", "failed"


def queue_path(root: Path) -> Path:
    return root / STATE_DIR / "plans" / "queue.json"


@dataclass(frozen=True)
class Queued:
    id: str
    request: str
    mode: str | None = None
    budget: float | None = None
    force: bool = False
    queued_at: str = ""
    status: str = QUEUED            # queued | planned | over_budget | failed
    plan_id: str | None = None
    error: str | None = None
    finished_at: str | None = None

    def dict(self) -> dict[str, Any]:
        return asdict(self)


class PlanQueue:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[list[Queued]]:
        """The entries, under the lock; changes to the list are written back when the block ends without error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = self._read()
            yield entries
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps([e.dict() for e in entries], indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)

    def _read(self) -> list[Queued]:
        if not self.path.is_file():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Queued(**item) for item in data]
        except (ValueError, TypeError) as err:
            raise OverseerError(f"{self.path}: the plan queue cannot be read ({err}); fix or remove the file") from None

    def entries(self) -> list[Queued]:
        return self._read()

    def add(self, request: str, *, mode: str | None = None, budget: float | None = None, force: bool = False) -> Queued:
        if not request.strip():
            raise ValidationError("request", "is empty: say what you want built")
        entry = Queued(f"q-{secrets.token_hex(3)}", request, mode, budget, force, utcnow().isoformat(timespec="seconds"))
        with self._locked() as entries:
            entries.append(entry)
        return entry

    def _finish(self, entry_id: str, **changes: Any) -> Queued:
        with self._locked() as entries:
            i = next(i for i, e in enumerate(entries) if e.id == entry_id)
            entries[i] = replace(entries[i], finished_at=utcnow().isoformat(timespec="seconds"), **changes)
            return entries[i]

    def run(self, plan: Callable[[Queued], PlanOutcome]) -> list[Queued]:
        """Plan every queued request in order; a failure is recorded on its entry and the next one goes on."""
        done = []
        for entry in [e for e in self._read() if e.status == QUEUED]:
            try:
                outcome = plan(entry)
            except OverseerError as err:
                done.append(self._finish(entry.id, status=FAILED, error=str(err)))
                continue
            if outcome.stored is None:
                est = outcome.draft.estimate
                done.append(self._finish(entry.id, status=OVER_BUDGET,
                                         error=f"estimated ${est.billed_usd:.2f} billed, over the ${outcome.limit_usd:.2f} budget"))
            else:
                done.append(self._finish(entry.id, status=PLANNED, plan_id=outcome.stored.epic.id))
        return done
