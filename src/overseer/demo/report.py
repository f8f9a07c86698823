"""What the demo reports at the end: each task with its attempts (profile, verdict, landed commit, tokens, cost), the
epic, the audit report, and what the served API answered. Read from the store, so it is what the dashboard shows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from overseer.bootstrap import run_store
from overseer.domain.runs import Run
from overseer.domain.verification import StageStatus
from overseer.service import Supervisor

__all__ = ["Attempt", "DemoResult", "TaskSummary", "attempts_of", "audit_status", "failing_stages"]


@dataclass(frozen=True)
class Attempt:
    attempt: int
    run: str
    profile: str
    status: str
    verdict: str | None
    failed: list[str]                 # stages that blocked, e.g. ["tests: 1 test failed"]
    landed_commit: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    seconds: float | None


@dataclass(frozen=True)
class TaskSummary:
    key: str
    id: str
    title: str
    status: str
    attempts: list[Attempt]

    @property
    def profiles(self) -> list[str]:
        return [a.profile for a in self.attempts]


@dataclass
class DemoResult:
    ok: bool
    reason: str
    repo: str
    url: str
    login: str
    epic: str
    epic_title: str
    epic_status: str
    epic_branch: str | None
    epic_review: str | None = None  # the verdict of the review of the whole epic
    tasks: list[TaskSummary] = field(default_factory=list)
    audit_report: str | None = None
    audit_status: str | None = None
    api: dict[str, Any] = field(default_factory=dict)
    model_requests: int = 0
    model_url: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tasks"] = [{**asdict(t), "profiles": t.profiles} for t in self.tasks]
        data["scripted_model"] = {"url": self.model_url, "requests": self.model_requests,
                                  "note": "the built-in scripted model: no real LLM, no API key"}
        del data["model_url"], data["model_requests"]
        return data


def failing_stages(run: Run) -> list[str]:
    """The stages that blocked ``run``, each with its first finding or detail."""
    out = []
    for s in run.stages:
        if s.status in (StageStatus.FAILED, StageStatus.ERROR, StageStatus.TIMEOUT):
            first = s.findings[0].message if s.findings else s.detail
            out.append(f"{s.stage} {s.status.value.lower()}: {first}"[:300])
    return out


def attempts_of(sup: Supervisor, task_id: str) -> list[Attempt]:
    runs = sorted(run_store(sup).list_runs(task_id=task_id), key=lambda r: r.attempt)
    return [Attempt(r.attempt, r.id, r.profile, r.status.value, r.verdict.value if r.verdict else None, failing_stages(r),
                    r.landed_commit, r.tokens_in, r.tokens_out, round(r.cost_usd, 6),
                    round((r.ended_at - r.started_at).total_seconds(), 2) if r.ended_at and r.started_at else None)
            for r in runs]


def audit_status(path: Path | None) -> str | None:
    """PASS or FAIL, as the audit report at ``path`` says."""
    if path is None or not path.is_file():
        return None
    status = json.loads(path.read_text(encoding="utf-8")).get("status")
    return str(status) if status else None
