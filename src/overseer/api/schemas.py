"""Request and response bodies of the task-graph API (pydantic). Tasks are rendered by ``domain.serialize.task_dict``;
``TaskOut`` declares that shape for OpenAPI and checks it on the way out.

Every request model forbids unknown fields, so a misspelt field is a 422 naming it rather than a silent no-op.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from overseer.domain import Complexity, DepType, TaskKind, TaskStatus, WorkType
from overseer.service import NewTask

#: Priority names people use, and the number each stands for (0 is the most urgent).
PRIORITY_NAMES = {"critical": 0, "high": 1, "medium": 2, "low": 3, "backlog": 4}


def _priority(value: Any) -> Any:
    """A name (any case) becomes its number; numbers pass on to the 0-4 range check."""
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        try:
            return PRIORITY_NAMES[value.strip().lower()]
        except KeyError:
            names = ", ".join(PRIORITY_NAMES)
            raise ValueError(f"unknown priority {value!r}: give 0 (highest) to 4, or one of {names}") from None
    return value


Priority = Annotated[
    int, Field(ge=0, le=4, description="0 (highest) to 4, or critical, high, medium, low, backlog."),
    BeforeValidator(_priority, json_schema_input_type=int | Literal["critical", "high", "medium", "low", "backlog"]),
]
#: No NUL anywhere (PostgreSQL cannot store it); no control characters in ids and names.
NO_NUL = r"^[^\x00]*$"
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=100_000, pattern=NO_NUL)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=NO_NUL)]
TaskId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]
Worker = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256, pattern=PRINTABLE)]
Profile = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=PRINTABLE)]
Gate = Literal["start", "land"]
Items = Annotated[list[Short], Field(max_length=200)]
Ids = Annotated[list[TaskId], Field(max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Options(Body):
    """What every new task may carry beside its title and body: placement in the graph, routing pins and limits."""

    priority: Priority | None = None
    complexity: Complexity | None = None
    labels: Items = []
    parent: TaskId | None = Field(default=None, description="The epic this task belongs to.")
    blocked_by: Ids = Field(default=[], description="Tasks that must be done first.")
    profile: Profile | None = Field(default=None, description="Pin an agent profile instead of routing.")
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    max_cost_usd: float | None = Field(default=None, ge=0)
    gates: list[Gate] = Field(default=[], description="'start': held until approved; 'land': waits for approval before landing.")

    def options(self) -> dict[str, Any]:
        return dict(priority=self.priority, labels=tuple(self.labels), parent=self.parent, blocked_by=tuple(self.blocked_by),
                    profile=self.profile, max_attempts=self.max_attempts, max_cost_usd=self.max_cost_usd, gates=tuple(self.gates))


class TaskCreate(Options):
    """A plain task: every field as the task graph holds it. Leave ``type`` out (or give ``"task"``)."""

    type: Literal["task"] = "task"
    title: Title
    body: Text = ""
    kind: TaskKind = TaskKind.TASK
    work_type: WorkType | None = None
    acceptance: Items = []
    file_hints: Items = []
    hold: Short | None = Field(default=None, description="Hold behind an approval gate with this reason.")

    def new_task(self) -> NewTask:
        return NewTask(title=self.title, body=self.body, kind=self.kind.value, work_type=self.work_type, complexity=self.complexity,
                       acceptance=tuple(self.acceptance), file_hints=tuple(self.file_hints), hold=self.hold, **self.options())


class EpicCreate(Body):
    title: Title
    body: Text = ""
    priority: Priority | None = None
    labels: Items = []
    acceptance: Items = []
    gates: list[Gate] = []

    def new_task(self) -> NewTask:
        return NewTask(title=self.title, body=self.body, kind=TaskKind.EPIC.value, priority=self.priority, labels=tuple(self.labels),
                       acceptance=tuple(self.acceptance), gates=tuple(self.gates))


class BudgetPatch(Body):
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    max_iterations: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, ge=0)


class TaskPatch(Body):
    """Only the fields given change; ``null`` clears ``profile`` and ``hold``. ``budget`` merges into the current one."""

    title: Title | None = None
    body: Text | None = None
    kind: TaskKind | None = None
    priority: Priority | None = None
    work_type: WorkType | None = None
    complexity: Complexity | None = None
    labels: Items | None = None
    acceptance: Items | None = None
    file_hints: Items | None = None
    profile: Profile | None = None
    notes: Text | None = None
    hold: Short | None = None
    gates: list[Gate] | None = None
    budget: BudgetPatch | None = None


#: Fields of ``TaskPatch`` that may be set to ``null`` (clearing them); any other given as ``null`` is refused.
NULLABLE = frozenset({"profile", "hold"})


class StatusMove(Body):
    status: TaskStatus
    reason: Short | None = None


class Reason(Body):
    reason: Short | None = None


class DependencyCreate(Body):
    depends_on: TaskId
    type: DepType = DepType.BLOCKS


class Claim(Body):
    worker: Worker
    lease_seconds: float | None = Field(default=None, gt=0, le=86_400, description="Default: claims.lease_seconds of the config.")


class WorkerRef(Body):
    worker: Worker


# -- responses -------------------------------------------------------------------------------------------
class BudgetOut(BaseModel):
    max_attempts: int
    max_iterations: int | None
    max_cost_usd: float | None


class TaskOut(BaseModel):
    """A task as ``overseer.domain.serialize.task_dict`` renders it (times in ISO 8601, UTC)."""

    id: str
    title: str
    status: str
    priority: int
    kind: str
    work_type: str
    complexity: str
    body: str
    labels: list[str]
    acceptance: list[str]
    file_hints: list[str]
    budget: BudgetOut
    attempts: int
    profile: str | None
    notes: str
    hold: str | None
    gates: list[str]
    branch: str | None
    claimed_by: str | None
    lease_expires_at: str | None
    created_at: str | None
    updated_at: str | None
    closed_at: str | None
    close_reason: str | None
    version: int


class DependencyOut(BaseModel):
    task_id: str
    depends_on: str
    type: str
    gates: bool
    created_at: str | None
    created_by: str | None


class TaskPage(BaseModel):
    tasks: list[TaskOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last one.")


class TaskDetail(BaseModel):
    task: TaskOut
    blocked: bool
    depends_on: list[DependencyOut]
    dependents: list[DependencyOut]
    children: list[TaskOut]


class TreeOut(BaseModel):
    task_id: str
    title: str
    status: str
    dep_type: str | None
    children: list[TreeOut]
    missing: bool = False
    repeated: bool = False


class ReadyPage(BaseModel):
    tasks: list[TaskOut]
    limit: int
    offset: int
    more: bool = Field(description="Whether more ready tasks follow this page.")


class Heartbeat(BaseModel):
    renewed: bool
    task: TaskOut


class EpicSummary(BaseModel):
    epic: TaskOut
    done: int
    total: int = Field(description="Live children (deleted ones not counted).")


class EpicPage(BaseModel):
    epics: list[EpicSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class EpicDetail(EpicSummary):
    children: list[TaskOut]
    counts: dict[str, int]
    ready: list[str]
