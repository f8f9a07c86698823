"""``to_row`` / ``from_row``: the only place domain values meet table rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from overseer.domain import Budget, Complexity, Dependency, Event, Task, TaskStatus, WorkType
from overseer.domain.runs import ExitReason, Run, RunStatus
from overseer.domain.usage import Park, UsageEntry, UsageKind
from overseer.domain.verification import StageResult, Verdict

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _opt_micros(value: datetime | None) -> int | None:
    return None if value is None else to_micros(value)


def _opt_dt(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def task_to_row(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "body": task.body,
        "kind": task.kind,
        "status": task.status.value,
        "priority": task.priority,
        "work_type": task.work_type.value,
        "complexity": task.complexity.value,
        "labels": list(task.labels),
        "acceptance": list(task.acceptance),
        "file_hints": list(task.file_hints),
        "budget": task.budget.to_dict(),
        "attempts": task.attempts,
        "profile": task.profile,
        "notes": task.notes,
        "hold": task.hold,
        "claimed_by": task.claimed_by,
        "lease_expires_at": _opt_micros(task.lease_expires_at),
        "created_at": to_micros(task.created_at),
        "updated_at": to_micros(task.updated_at),
        "closed_at": _opt_micros(task.closed_at),
        "close_reason": task.close_reason,
        "extra": dict(task.extra),
        "version": task.version,
        "branch": task.branch,
        "gates": list(task.gates),
    }


def task_from_row(row: Mapping[Any, Any]) -> Task:
    return Task(
        id=row["id"],
        title=row["title"],
        body=row["body"],
        kind=row["kind"],
        status=TaskStatus(row["status"]),
        priority=row["priority"],
        work_type=WorkType(row["work_type"]),
        complexity=Complexity(row["complexity"]),
        labels=tuple(row["labels"]),
        acceptance=tuple(row["acceptance"]),
        file_hints=tuple(row["file_hints"]),
        budget=Budget.from_dict(row["budget"]),
        attempts=row["attempts"],
        profile=row["profile"],
        notes=row["notes"],
        hold=row["hold"],
        claimed_by=row["claimed_by"],
        lease_expires_at=_opt_dt(row["lease_expires_at"]),
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
        closed_at=_opt_dt(row["closed_at"]),
        close_reason=row["close_reason"],
        extra=row["extra"],
        version=row["version"],
        branch=row["branch"],
        gates=tuple(row["gates"] or ()),
    )


def dep_to_row(dep: Dependency) -> dict[str, Any]:
    return {
        "task_id": dep.task_id,
        "depends_on": dep.depends_on,
        "type": dep.type,
        "created_at": to_micros(dep.created_at),
        "created_by": dep.created_by,
        "extra": dict(dep.extra),
    }


def dep_from_row(row: Mapping[Any, Any]) -> Dependency:
    return Dependency(row["task_id"], row["depends_on"], row["type"], from_micros(row["created_at"]), row["created_by"], row["extra"])


def event_from_row(row: Mapping[Any, Any]) -> Event:
    return Event(row["seq"], from_micros(row["at"]), row["kind"], row["task_id"], row["run_id"], row["actor"], row["data"])


def run_to_row(run: Run) -> dict[str, Any]:
    return {
        "id": run.id, "task_id": run.task_id, "profile": run.profile, "harness": run.harness, "status": run.status.value,
        "exit_reason": run.exit_reason.value if run.exit_reason else None, "exit_code": run.exit_code, "attempt": run.attempt,
        "branch": run.branch, "worktree": run.worktree, "base_commit": run.base_commit, "head_commit": run.head_commit,
        "diff_stat": dict(run.diff_stat), "pid": run.pid, "worker": run.worker, "tokens_in": run.tokens_in,
        "tokens_out": run.tokens_out, "cost_usd": run.cost_usd, "turns": run.turns, "session_id": run.session_id, "error": run.error,
        "created_at": to_micros(run.created_at), "started_at": _opt_micros(run.started_at), "ended_at": _opt_micros(run.ended_at),
        "heartbeat_at": _opt_micros(run.heartbeat_at),
        "verdict": run.verdict.value if run.verdict else None, "stages": [s.to_dict() for s in run.stages], "target": run.target,
        "landed_commit": run.landed_commit,
    }


def run_from_row(row: Mapping[Any, Any]) -> Run:
    return Run(
        id=row["id"], task_id=row["task_id"], profile=row["profile"], harness=row["harness"], status=RunStatus(row["status"]),
        exit_reason=ExitReason(row["exit_reason"]) if row["exit_reason"] else None, exit_code=row["exit_code"], attempt=row["attempt"],
        branch=row["branch"], worktree=row["worktree"], base_commit=row["base_commit"], head_commit=row["head_commit"],
        diff_stat=row["diff_stat"], pid=row["pid"], worker=row["worker"], tokens_in=row["tokens_in"], tokens_out=row["tokens_out"],
        cost_usd=row["cost_usd"], turns=row["turns"], session_id=row["session_id"], error=row["error"],
        created_at=from_micros(row["created_at"]), started_at=_opt_dt(row["started_at"]), ended_at=_opt_dt(row["ended_at"]),
        heartbeat_at=_opt_dt(row["heartbeat_at"]),
        verdict=Verdict(row["verdict"]) if row["verdict"] else None, stages=tuple(StageResult.from_dict(s) for s in row["stages"] or ()),
        target=row["target"], landed_commit=row["landed_commit"],
    )


def usage_to_row(entry: UsageEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "at": to_micros(entry.at), "provider": entry.provider, "kind": entry.kind.value, "model": entry.model,
        "profile": entry.profile, "task_id": entry.task_id, "run_id": entry.run_id, "runs": entry.runs, "requests": entry.requests,
        "tokens_in": entry.tokens_in, "tokens_out": entry.tokens_out, "cost_usd": entry.cost_usd, "emergency": entry.emergency,
        "settled": entry.settled,
    }


def usage_from_row(row: Mapping[Any, Any]) -> UsageEntry:
    return UsageEntry(
        id=row["id"], at=from_micros(row["at"]), provider=row["provider"], kind=UsageKind(row["kind"]), model=row["model"],
        profile=row["profile"], task_id=row["task_id"], run_id=row["run_id"], runs=row["runs"], requests=row["requests"],
        tokens_in=row["tokens_in"], tokens_out=row["tokens_out"], cost_usd=row["cost_usd"], emergency=bool(row["emergency"]),
        settled=bool(row["settled"]),
    )


def park_to_row(park: Park) -> dict[str, Any]:
    return {"provider": park.provider, "until": to_micros(park.until), "reason": park.reason, "at": to_micros(park.at)}


def park_from_row(row: Mapping[Any, Any]) -> Park:
    return Park(row["provider"], from_micros(row["until"]), row["reason"], from_micros(row["at"]))
