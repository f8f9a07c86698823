"""Ports: the narrow interfaces the service needs. Adapters implement them; the service receives them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from overseer.domain import Dependency, Event, Task, TaskStatus, ValidationError
from overseer.domain.audit import Commit
from overseer.domain.changes import UPDATABLE_FIELDS
from overseer.domain.knowledge import KnowledgeEntry
from overseer.domain.runs import AgentEvent, ExitReason, Run, RunStatus
from overseer.domain.usage import CostRow, Park, UsageEntry, Window, WindowUsage
from overseer.domain.verification import StageResult

__all__ = [
    "COST_GROUPS",
    "UPDATABLE_FIELDS",
    "CheckContext",
    "CommitLog",
    "Executor",
    "Harness",
    "ImportSummary",
    "Integrator",
    "Invocation",
    "KnowledgeStore",
    "Limits",
    "MergeResult",
    "ModelCall",
    "ModelGateway",
    "ModelReply",
    "ModelTarget",
    "ModelTransport",
    "Notice",
    "Notifier",
    "PriceBook",
    "RawReply",
    "RunReport",
    "RunRequest",
    "RunSpec",
    "RunStarted",
    "RunStore",
    "Stage",
    "StreamParser",
    "TaskQuery",
    "TaskStore",
    "UsageLedger",
    "Verifier",
]


@dataclass(frozen=True)
class TaskQuery:
    """Filters for ``list_tasks``; ``None`` means any."""

    statuses: tuple[TaskStatus, ...] | None = None
    kind: str | None = None
    label: str | None = None
    parent: str | None = None
    include_deleted: bool = False
    held: bool | None = None  # True: only tasks behind an approval hold; False: only those without one
    limit: int | None = None
    offset: int = 0  # matching tasks skipped (in list order) before the first one returned

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise ValidationError("offset", f"must be 0 or more, got {self.offset}")
        if self.limit is not None and self.limit < 0:
            raise ValidationError("limit", f"must be 0 or more, got {self.limit}")


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    dependencies: int
    skipped: int = 0

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "dependencies": self.dependencies}


@runtime_checkable
class TaskStore(Protocol):
    """The task graph. Every method that changes anything runs in one transaction and appends its events."""

    def add_task(self, task: Task, deps: Sequence[Dependency] = (), *, actor: str) -> Task: ...

    def get_task(self, task_id: str) -> Task: ...

    def list_tasks(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        """Tasks matching ``query`` in ready order (priority, created_at, id), ``offset`` skipped, at most ``limit``."""
        ...

    def count_tasks(self, query: TaskQuery = TaskQuery()) -> int:
        """How many tasks match ``query`` (its ``limit`` and ``offset`` ignored)."""
        ...

    def status_counts(self) -> dict[str, int]:
        """Tasks per status value (deleted ones left out); statuses with no task are absent."""
        ...

    def update_task(self, task_id: str, changes: Mapping[str, Any], *, actor: str) -> Task: ...

    def set_status(self, task_id: str, status: TaskStatus, *, actor: str, reason: str | None = None,
                   changes: Mapping[str, Any] | None = None) -> Task:
        """Move ``task_id`` to ``status`` (checked against the state machine), applying ``changes`` in the same transaction."""
        ...

    def add_dependency(self, dep: Dependency, *, actor: str) -> Dependency: ...

    def remove_dependency(self, task_id: str, depends_on: str, dep_type: str, *, actor: str) -> None: ...

    def dependencies(self, task_id: str | None = None) -> list[Dependency]: ...

    def ready(self, limit: int | None = None) -> list[Task]: ...

    def is_blocked(self, task_id: str) -> bool:
        """Whether an unresolved ``blocks`` target holds ``task_id`` or one of its parent-child ancestors."""
        ...

    def claim(self, task_id: str, worker: str, lease_seconds: float) -> Task | None: ...

    def claim_next(self, worker: str, lease_seconds: float) -> Task | None: ...

    def heartbeat(self, task_id: str, worker: str, lease_seconds: float) -> bool: ...

    def release(self, task_id: str, worker: str, *, actor: str) -> Task: ...

    def events(self, after_seq: int = 0, limit: int = 100, task_id: str | None = None) -> list[Event]: ...

    def record_event(self, kind: str, *, actor: str, task_id: str | None = None, run_id: str | None = None,
                     data: Mapping[str, Any] | None = None) -> None:
        """Append one event that records a decision rather than a change (``routing.decided``, ``task.escalated``…)."""
        ...

    def last_event_seq(self) -> int:
        """The newest event's sequence number (0 when none): a cheap way to notice that anything changed."""
        ...

    def import_graph(self, tasks: Sequence[Task], deps: Sequence[Dependency], *, actor: str) -> ImportSummary: ...

    def close(self) -> None: ...


# -- agent harnesses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """Everything a harness needs to build one invocation. ``env`` holds the profile's resolved values."""

    run_id: str
    prompt: str
    workdir: Path
    home: Path
    model: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    max_turns: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invocation:
    """A process to start: argv, the environment it adds (over a minimal base), files to write first."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[Path, str] = field(default_factory=dict)
    stdin: str | None = None


class StreamParser(Protocol):
    """Turns a harness's output, line by line, into typed events. One parser per run (it may keep state)."""

    def feed(self, line: str) -> list[AgentEvent]: ...

    def finish(self, exit_code: int | None) -> list[AgentEvent]: ...


@runtime_checkable
class Harness(Protocol):
    """One agent CLI. ``binary`` is looked up on PATH (or in ``spec.options["bin_dir"]``); ``build`` starts nothing.

    ``credential_env`` names the variables of which at least one must be set for a run (empty: none needed).
    """

    name: str
    binary: str
    credential_env: tuple[str, ...]

    def build(self, spec: RunSpec) -> Invocation: ...

    def parser(self) -> StreamParser: ...


# -- executing runs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    stall_seconds: float = 300.0
    wall_seconds: float = 3600.0
    max_turns: int | None = None
    max_cost_usd: float | None = None
    exit_grace_seconds: float = 10.0  # how long the process may run on after its Result
    kill_grace_seconds: float = 5.0   # between SIGTERM and SIGKILL


@dataclass(frozen=True)
class RunRequest:
    """One run to execute: which harness, in which repository, from which base, within which limits."""

    run_id: str
    task_id: str
    prompt: str
    base_branch: str
    harness: str
    model: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    limits: Limits = Limits()
    commit_message: str = ""


@dataclass(frozen=True)
class RunStarted:
    pid: int | None
    branch: str
    worktree: str
    base_commit: str
    log_path: str


@dataclass(frozen=True)
class RunReport:
    reason: ExitReason
    exit_code: int | None = None
    head_commit: str | None = None
    diff_stat: Mapping[str, int] = field(default_factory=dict)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    session_id: str | None = None
    result_text: str = ""
    error: str | None = None
    rate_limit_reset_at: datetime | None = None


class Executor(Protocol):
    """Runs agents somewhere (local asyncio subprocesses now; Celery workers later)."""

    def check(self, base_branch: str | None) -> str:
        """The base branch to use; raises before anything starts if the repository is not fit (dirty, detached…)."""
        ...

    def check_profile(self, harness: str, env: Mapping[str, str], options: Mapping[str, Any]) -> str:
        """The harness's binary and version (for display); raises naming the unknown harness, missing binary or credentials."""
        ...

    async def execute(
        self,
        request: RunRequest,
        on_started: Callable[[RunStarted], Awaitable[None]],
        on_event: Callable[[AgentEvent], Awaitable[None]],
        heartbeat: Callable[[], Awaitable[None]],
    ) -> RunReport: ...

    def discard(self, run_id: str, *, delete_branch: bool) -> None: ...

    def alive(self, pid: int) -> bool: ...

    def gc(self, active: set[str]) -> list[str]: ...


class RunStore(Protocol):
    """Runs, in the same database (and event log) as the tasks."""

    def add_run(self, run: Run, *, actor: str) -> Run: ...

    def start_run(self, task_id: str, run: Run, *, worker: str, lease_seconds: float) -> Task | None:
        """Claim ``task_id``, move it to running and record ``run``, in one transaction; None when the claim is lost."""
        ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run(self, run_id: str, changes: Mapping[str, Any], *, actor: str, event: str | None = None) -> Run: ...

    def list_runs(self, *, task_id: str | None = None, statuses: tuple[RunStatus, ...] | None = None,
                  limit: int | None = None) -> list[Run]: ...


# -- capacity and spending -----------------------------------------------------------------------------

#: How ``UsageLedger.cost_totals`` can group: by task, run, provider, model, UTC day, or the task's parent epic.
COST_GROUPS = ("task", "run", "provider", "model", "day", "epic")


class UsageLedger(Protocol):
    """What every run and model call took from each provider, and which providers are parked.

    ``acquire`` is the only way capacity is taken before use: it inserts ``entry`` only if it fits every window
    below ``ceiling`` x limit, atomically against every other acquirer (of any process), so racing dispatches
    never overrun a window.
    """

    def acquire(self, entry: UsageEntry, windows: Sequence[Window], *, ceiling: float = 1.0) -> UsageEntry | None: ...

    def record(self, entry: UsageEntry) -> UsageEntry:
        """Append usage that already happened (no window check)."""
        ...

    def settle(self, entry_id: str, *, requests: int | None = None, tokens_in: int = 0, tokens_out: int = 0,
               cost_usd: float = 0.0, model: str | None = None) -> UsageEntry:
        """Put the real figures of a run or call on its acquired entry."""
        ...

    def cancel(self, entry_id: str) -> None:
        """Give back an acquired entry whose run never started (the claim was lost)."""
        ...

    def window_usage(self, provider: str, window: Window, now: datetime, *, reserve_percent: float = 0.0) -> WindowUsage: ...

    def usage_entries(self, *, provider: str | None = None, task_id: str | None = None, run_id: str | None = None,
                      since: datetime | None = None, limit: int | None = None) -> list[UsageEntry]:
        """Entries, newest first."""
        ...

    def cost_totals(self, by: str, *, since: datetime | None = None, task_id: str | None = None) -> list[CostRow]:
        """Totals grouped ``by`` one of ``COST_GROUPS``, most expensive first; ``task_id`` narrows to one task."""
        ...

    def park(self, provider: str, until: datetime, reason: str, *, actor: str) -> Park:
        """Park ``provider`` until ``until`` (a later park of the same provider replaces it); logs ``provider.parked``."""
        ...

    def unpark(self, provider: str, *, actor: str) -> None: ...

    def parks(self, now: datetime) -> dict[str, Park]:
        """The providers parked at ``now``."""
        ...


@dataclass(frozen=True)
class ModelCall:
    """One direct model call (a review, a plan, a skill): routed like a task of ``work_type`` and ``complexity``."""

    messages: Sequence[Mapping[str, str]]
    work_type: str = "review"
    complexity: str = "medium"
    task_id: str | None = None
    purpose: str = "call"
    max_tokens: int | None = None
    temperature: float | None = None
    emergency: bool = False  # may use a provider's emergency reserve (reviews and escalations)
    profile: str | None = None  # pin one profile instead of routing


@dataclass(frozen=True)
class ModelReply:
    text: str
    profile: str
    provider: str | None
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    tried: tuple[str, ...] = ()  # "profile: why it was passed over", in order


class ModelGateway(Protocol):
    """Direct model calls, routed, metered and falling back along the chain; raises ``QuotaExhausted`` when nothing can take it."""

    def complete(self, call: ModelCall) -> ModelReply: ...


@dataclass(frozen=True)
class ModelTarget:
    """Where one call goes: the LiteLLM model string (``openai/gpt-4o``, ``anthropic/claude-sonnet-4-5``, ``deepseek/deepseek-chat``),
    an optional base URL and key (resolved from the profile's env), for the profile and provider it came from."""

    profile: str
    provider: str | None
    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout_seconds: float = 120.0


@dataclass(frozen=True)
class RawReply:
    text: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None  # when the provider reports it


class ModelTransport(Protocol):
    """One model call, no routing: raises ``RateLimited`` (HTTP 429, with ``reset_at`` when the reply gives one) or ``ModelError``."""

    def complete(self, target: ModelTarget, call: ModelCall) -> RawReply: ...


class PriceBook(Protocol):
    """Dollar prices of token-priced models; None when the model is not in the book."""

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None: ...


# -- verification, landing, notifications -------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckContext:
    """What one check looks at: the tree at ``workdir`` (a run's worktree, or the audited repository) and the change
    ``base_commit..head_commit`` in it. ``files`` are the changed paths, relative to ``workdir`` (deleted ones left out)."""

    workdir: Path
    base_commit: str
    head_commit: str
    files: tuple[str, ...] = ()
    task_id: str | None = None
    title: str = ""
    body: str = ""
    acceptance: tuple[str, ...] = ()
    allow_empty: bool = False
    env: Mapping[str, str] = field(default_factory=dict)


class Stage(Protocol):
    """One check of a change. Never raises for what it finds: a tool that breaks is a ``StageStatus.ERROR`` result."""

    name: str

    def run(self, ctx: CheckContext) -> StageResult: ...


class Verifier(Protocol):
    """Stages in order, cheap to expensive, stopping at the first blocking failure (later ones are SKIPPED)."""

    def run(self, ctx: CheckContext, on_stage: Callable[[StageResult], None] | None = None) -> list[StageResult]: ...


@dataclass(frozen=True)
class Notice:
    """Something a person should hear about. ``kind``: escalated, budget_exhausted, window_exhausted, failed,
    needs_guidance, epic_ready, landed, summary."""

    kind: str
    title: str
    body: str
    task_id: str | None = None
    run_id: str | None = None
    severity: str = "info"   # info | warning | failure


class Notifier(Protocol):
    def notify(self, notice: Notice) -> bool:
        """Deliver to every configured target that wants ``notice.kind``; False when a delivery failed (never raises)."""
        ...


@dataclass(frozen=True)
class MergeResult:
    """``status``: merged | conflict | retest_failed | moved (the target kept moving under a compare-and-swap) |
    blocked (the target is checked out with local changes the merge would overwrite: a person must act)."""

    status: str
    target: str
    commit: str | None = None          # the target's new head when merged
    previous: str | None = None        # the target's head before
    conflicts: tuple[str, ...] = ()
    moved: bool = False                # the target had moved since the change's base: the tests ran again on the merge
    retest: StageResult | None = None
    detail: str = ""


class Integrator(Protocol):
    """Integration branches and the merge queue: one merge at a time per target, never touching the user's working tree
    except to fast-forward a checked-out target that is clean."""

    def head(self, branch: str) -> str | None: ...

    def ensure_branch(self, branch: str, start: str) -> str:
        """Create ``branch`` at ``start`` (a branch or commit) unless it exists; its head."""
        ...

    def land(self, source: str, target: str, *, base: str | None, message: str,
             retest: Callable[[Path, str, str], StageResult] | None = None) -> MergeResult:
        """Merge ``source`` into ``target`` (no fast-forward: one merge commit per landing). When ``target`` moved since
        ``base`` and ``retest`` is given, it runs on the merged tree (``retest(dir, target_head, merged_head)``) before the
        target is updated; a failing retest leaves the target as it was."""
        ...

    def changed_files(self, base: str, head: str) -> list[str]: ...

    def merge_base(self, a: str, b: str) -> str: ...

    def push(self, remote: str, branch: str) -> str: ...

    def diff(self, base: str, head: str, *, max_chars: int = 200_000) -> str: ...

    def delete_branch(self, branch: str) -> None: ...


class CommitLog(Protocol):
    """The commit history the auditor reads, and a clean tree of a commit to check."""

    def head(self) -> str | None: ...

    def exists(self, rev: str) -> bool: ...

    def resolve(self, rev: str) -> str: ...

    def new_commits(self, since: str | None, head: str) -> list[Commit]:
        """Commits reachable from ``head`` and not from ``since``, oldest first. After a history rewrite (``since`` no
        longer an ancestor of ``head``) that is only the rewritten ones; ``since=None``: ``head`` alone."""
        ...

    def changed_files(self, base: str, head: str) -> list[str]: ...

    def checkout(self, commit: str) -> AbstractContextManager[Path]:
        """A detached scratch worktree of ``commit``, removed afterwards (the user's checkout is never touched)."""
        ...

    def snapshot(self) -> str | None:
        """A commit object of the working tree as it is (tracked changes and untracked files not ignored), made without
        touching the index or any branch; None when nothing differs from HEAD."""
        ...


# -- knowledge ---------------------------------------------------------------------------------------------

class KnowledgeStore(Protocol):
    """The knowledge store ("brain"): markdown entries with full-text search, beside the tasks (same event log).

    A search query is words: full-text syntax a person types (quotes, ``OR``, ``*``, ``NEAR``, ``col:``, ``-``,
    parentheses) is taken as plain words, never passed to the engine; a query with no words finds nothing.
    """

    def add_knowledge(self, entry: KnowledgeEntry, *, actor: str) -> KnowledgeEntry:
        """Store ``entry`` (an id is assigned when it has none) and log ``knowledge.added``, in one transaction."""
        ...

    def get_knowledge(self, entry_id: str) -> KnowledgeEntry:
        """The entry, or ``KnowledgeNotFound`` naming the id."""
        ...

    def search_knowledge(self, query: str, *, limit: int = 5, tags: tuple[str, ...] = ()) -> list[KnowledgeEntry]:
        """Entries matching any word of ``query`` and carrying every tag of ``tags``, most relevant first (``score``
        set: higher is more relevant; a title match counts above a body match)."""
        ...

    def list_knowledge(self, *, limit: int = 50, offset: int = 0, tag: str | None = None) -> list[KnowledgeEntry]:
        """Entries newest first, ``offset`` skipped, at most ``limit``; only those tagged ``tag`` when given."""
        ...

    def delete_knowledge(self, entry_id: str, *, actor: str) -> None:
        """Remove the entry and log ``knowledge.deleted``; ``KnowledgeNotFound`` when there is none."""
        ...
