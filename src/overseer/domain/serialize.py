"""Plain-dict views of domain values, for ``--json`` output and API payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from overseer.domain.models import Dependency, Event, Task
from overseer.domain.runs import Run


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def task_dict(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "status": task.status.value,
        "priority": task.priority,
        "kind": task.kind,
        "work_type": task.work_type.value,
        "complexity": task.complexity.value,
        "body": task.body,
        "labels": list(task.labels),
        "acceptance": list(task.acceptance),
        "file_hints": list(task.file_hints),
        "budget": task.budget.to_dict(),
        "attempts": task.attempts,
        "profile": task.profile,
        "notes": task.notes,
        "hold": task.hold,
        "gates": list(task.gates),
        "branch": task.branch,
        "claimed_by": task.claimed_by,
        "lease_expires_at": _iso(task.lease_expires_at),
        "created_at": _iso(task.created_at),
        "updated_at": _iso(task.updated_at),
        "closed_at": _iso(task.closed_at),
        "close_reason": task.close_reason,
        "version": task.version,
    }


def dep_dict(dep: Dependency) -> dict[str, Any]:
    return {"task_id": dep.task_id, "depends_on": dep.depends_on, "type": dep.type, "gates": dep.gates,
            "created_at": _iso(dep.created_at), "created_by": dep.created_by}


def event_dict(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "at": _iso(event.at), "kind": event.kind, "task_id": event.task_id,
            "run_id": event.run_id, "actor": event.actor, "data": dict(event.data)}


def run_dict(run: Run) -> dict[str, Any]:
    return {
        "id": run.id, "task": run.task_id, "profile": run.profile, "harness": run.harness, "status": run.status.value,
        "exit_reason": run.exit_reason.value if run.exit_reason else None, "exit_code": run.exit_code, "attempt": run.attempt,
        "branch": run.branch, "worktree": run.worktree, "base_commit": run.base_commit, "head_commit": run.head_commit,
        "diff_stat": dict(run.diff_stat), "tokens_in": run.tokens_in, "tokens_out": run.tokens_out, "cost_usd": run.cost_usd,
        "turns": run.turns, "session_id": run.session_id, "pid": run.pid, "worker": run.worker, "error": run.error,
        "created_at": _iso(run.created_at), "started_at": _iso(run.started_at), "ended_at": _iso(run.ended_at),
        "heartbeat_at": _iso(run.heartbeat_at),
        "verdict": run.verdict.value if run.verdict else None, "stages": [s.to_dict() for s in run.stages], "target": run.target,
        "landed_commit": run.landed_commit,
    }
