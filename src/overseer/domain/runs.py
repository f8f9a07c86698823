"""Runs: one attempt of one agent on one task, and the typed events its harness reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from overseer.domain.models import utcnow
from overseer.domain.verification import StageResult, Verdict


class RunStatus(str, Enum):
    STARTING = "starting"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    STALLED = "stalled"
    CANCELLED = "cancelled"
    LOST = "lost"

    def is_final(self) -> bool:
        return self not in (RunStatus.STARTING, RunStatus.RUNNING)


class ExitReason(str, Enum):
    """Why a run ended; each limit that kills a run has its own reason."""

    COMPLETED = "completed"          # the agent finished and said it succeeded
    AGENT_ERROR = "agent_error"      # the agent finished and said it failed (API error, refusal…)
    EXIT_CODE = "exit_code"          # the process exited non-zero without a result
    STALL_TIMEOUT = "stall_timeout"  # no output for stall_seconds
    WALL_TIMEOUT = "wall_timeout"    # ran longer than wall_seconds
    MAX_TURNS = "max_turns"
    COST_CAP = "cost_cap"
    RATE_LIMITED = "rate_limited"    # the provider said its limit is reached
    SPAWN_ERROR = "spawn_error"      # the process could not start
    CANCELLED = "cancelled"
    LOST = "lost"                    # the supervisor restarted and the process was gone


REASON_STATUS: dict[ExitReason, RunStatus] = {
    ExitReason.COMPLETED: RunStatus.SUCCEEDED,
    ExitReason.STALL_TIMEOUT: RunStatus.STALLED,
    ExitReason.WALL_TIMEOUT: RunStatus.TIMED_OUT,
    ExitReason.CANCELLED: RunStatus.CANCELLED,
    ExitReason.LOST: RunStatus.LOST,
}


def status_for(reason: ExitReason) -> RunStatus:
    return REASON_STATUS.get(reason, RunStatus.FAILED)


@dataclass(frozen=True)
class Run:
    id: str
    task_id: str
    profile: str
    harness: str
    status: RunStatus = RunStatus.STARTING
    exit_reason: ExitReason | None = None
    exit_code: int | None = None
    attempt: int = 1
    branch: str | None = None
    worktree: str | None = None
    base_commit: str | None = None
    head_commit: str | None = None
    diff_stat: Mapping[str, int] = field(default_factory=dict)   # files, insertions, deletions
    pid: int | None = None
    worker: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    session_id: str | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    heartbeat_at: datetime | None = None
    verdict: Verdict | None = None                 # the verification pipeline's, once it ran
    stages: tuple[StageResult, ...] = ()           # its stage results, in order
    target: str | None = None                      # the branch the run lands on
    landed_commit: str | None = None               # the target's head after this run's merge

    def evolve(self, **changes: Any) -> Run:
        return replace(self, **changes)


RUN_FIELDS = frozenset(Run.__dataclass_fields__) - {"id", "task_id", "created_at"}


def apply_run_changes(run: Run, changes: Mapping[str, Any]) -> Run:
    """The run with ``changes``; unknown fields and wrong enum values are refused naming the field."""
    from overseer.domain.errors import ValidationError

    unknown = set(changes) - RUN_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"is not a run field (fields: {', '.join(sorted(RUN_FIELDS))})")
    coerced = dict(changes)
    enums: tuple[tuple[str, type[RunStatus] | type[ExitReason] | type[Verdict]], ...] = (
        ("status", RunStatus), ("exit_reason", ExitReason), ("verdict", Verdict))
    for name, enum in enums:
        if coerced.get(name) is not None:
            try:
                coerced[name] = enum(coerced[name])
            except ValueError:
                raise ValidationError(name, f"unknown value {coerced[name]!r} (one of {', '.join(m.value for m in enum)})") from None
    return replace(run, **coerced)


def run_event_data(run: Run, event: str) -> dict[str, Any]:
    """What the event log keeps of a run at ``event`` (run.started, run.finished, …)."""
    if event == "run.started":
        return {"branch": run.branch, "base": run.base_commit, "pid": run.pid, "profile": run.profile}
    if event == "run.verified":
        return {"verdict": run.verdict.value if run.verdict else None,
                "stages": [{"stage": s.stage, "status": s.status.value, "findings": len(s.findings), "duration_s": round(s.duration_s, 3)}
                           for s in run.stages]}
    if event == "run.landed":
        return {"target": run.target, "commit": run.landed_commit, "branch": run.branch}
    return {"status": run.status.value, "reason": run.exit_reason.value if run.exit_reason else None, "head": run.head_commit,
            "tokens_in": run.tokens_in, "tokens_out": run.tokens_out, "cost_usd": run.cost_usd, "profile": run.profile}


# -- what a harness reports, parsed from its output stream -------------------------------------------


@dataclass(frozen=True)
class TextEvent:
    text: str
    role: str = "assistant"


@dataclass(frozen=True)
class ToolUse:
    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class ToolResult:
    output: str
    is_error: bool = False
    id: str | None = None


@dataclass(frozen=True)
class Usage:
    """Tokens of one model call (or a cumulative total when ``cumulative``)."""

    tokens_in: int = 0
    tokens_out: int = 0
    cumulative: bool = False
    model: str | None = None


@dataclass(frozen=True)
class Cost:
    usd: float
    cumulative: bool = True


@dataclass(frozen=True)
class RateLimit:
    message: str
    reset_at: datetime | None = None
    status: int | None = None


@dataclass(frozen=True)
class ErrorEvent:
    message: str
    status: int | None = None


@dataclass(frozen=True)
class Result:
    success: bool
    text: str = ""
    turns: int | None = None
    session_id: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None


@dataclass(frozen=True)
class Started:
    session_id: str | None = None
    model: str | None = None


AgentEvent = TextEvent | ToolUse | ToolResult | Usage | Cost | RateLimit | ErrorEvent | Result | Started


def event_kind(event: AgentEvent) -> str:
    return {
        TextEvent: "text", ToolUse: "tool_use", ToolResult: "tool_result", Usage: "usage", Cost: "cost",
        RateLimit: "rate_limit", ErrorEvent: "error", Result: "result", Started: "started",
    }[type(event)]
