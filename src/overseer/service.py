"""``Supervisor``: the use cases of Overseer. Front ends call these; adapters arrive through ``bootstrap``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overseer.config import OverseerConfig
from overseer.domain import (
    Budget,
    Complexity,
    Dependency,
    DepType,
    Event,
    Task,
    TaskKind,
    TaskNotFound,
    TaskStatus,
    ValidationError,
    WorkType,
    new_task_id,
)
from overseer.domain.changes import coerce_field
from overseer.interop import beads
from overseer.ports import ImportSummary, TaskQuery, TaskStore


@dataclass(frozen=True)
class NewTask:
    """What a person or agent gives to create a task; unset fields take the config defaults."""

    title: str
    body: str = ""
    kind: str = TaskKind.TASK.value
    priority: int | None = None
    work_type: WorkType | None = None
    complexity: Complexity | None = None
    labels: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()
    file_hints: tuple[str, ...] = ()
    parent: str | None = None
    blocked_by: tuple[str, ...] = ()
    profile: str | None = None
    max_attempts: int | None = None
    max_cost_usd: float | None = None
    hold: str | None = None
    gates: tuple[str, ...] = ()   # "start": held until approved; "land": waits for approval before landing


@dataclass(frozen=True)
class TaskView:
    task: Task
    depends_on: list[Dependency]
    dependents: list[Dependency]
    blocked: bool
    children: list[Task] = field(default_factory=list)


@dataclass(frozen=True)
class EpicStatus:
    epic: Task
    children: list[Task]
    counts: dict[str, int]
    ready: list[str]

    @property
    def done(self) -> int:
        return self.counts.get(TaskStatus.DONE.value, 0)


@dataclass(frozen=True)
class TreeNode:
    task_id: str
    title: str
    status: str
    dep_type: str | None
    children: list[TreeNode]
    missing: bool = False
    repeated: bool = False


START_HOLD = "approval required before it starts (`overseer approve ID`)"


class Supervisor:
    def __init__(self, store: TaskStore, config: OverseerConfig, root: Path) -> None:
        self.store = store
        self.config = config
        self.root = root

    def close(self) -> None:
        self.store.close()

    # -- tasks -------------------------------------------------------------------------------------
    def create_task(self, new: NewTask, *, actor: str) -> Task:
        d = self.config.defaults
        deps = [Dependency("", b, DepType.BLOCKS.value, created_by=actor) for b in new.blocked_by]
        if new.parent:
            deps.append(Dependency("", new.parent, DepType.PARENT_CHILD.value, created_by=actor))
        base: dict[str, Any] = dict(
            title=new.title, body=new.body, kind=new.kind,
            priority=d.priority if new.priority is None else new.priority,
            work_type=new.work_type or d.work_type, complexity=new.complexity or d.complexity,
            labels=tuple(new.labels), acceptance=tuple(new.acceptance), file_hints=tuple(new.file_hints),
            budget=Budget(max_attempts=new.max_attempts or d.max_attempts, max_cost_usd=new.max_cost_usd),
            profile=new.profile, hold=new.hold or (START_HOLD if "start" in new.gates else None),
            gates=coerce_field("gates", new.gates),
        )
        for length in (4, 5, 6, 8):
            task = Task(id=new_task_id(new.title, length=length), **base)
            try:
                return self.store.add_task(task, [Dependency(task.id, x.depends_on, x.type, created_by=actor) for x in deps], actor=actor)
            except ValidationError as err:
                if err.field != "id":
                    raise
        raise ValidationError("id", "could not find a free id; try again")  # pragma: no cover

    def get(self, task_id: str) -> Task:
        return self.store.get_task(task_id)

    def show(self, task_id: str) -> TaskView:
        task = self.store.get_task(task_id)
        deps = self.store.dependencies(task_id)
        out = [d for d in deps if d.task_id == task_id]
        into = [d for d in deps if d.depends_on == task_id]
        kids = [self.store.get_task(d.task_id) for d in into if d.type == DepType.PARENT_CHILD.value]
        return TaskView(task, out, into, self.store.is_blocked(task_id), kids)

    def list_tasks(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        return self.store.list_tasks(query)

    def count_tasks(self, query: TaskQuery = TaskQuery()) -> int:
        """How many tasks match ``query`` (``limit`` and ``offset`` ignored): the total beside a page."""
        return self.store.count_tasks(query)

    def status_counts(self) -> dict[str, int]:
        """Tasks per status value, deleted ones left out."""
        return self.store.status_counts()

    def update(self, task_id: str, changes: dict[str, Any], *, actor: str) -> Task:
        if not changes:
            raise ValidationError("changes", "nothing to change: give at least one option such as --title or --priority")
        return self.store.update_task(task_id, changes, actor=actor)

    def set_status(self, task_id: str, status: TaskStatus, *, actor: str, reason: str | None = None,
                   changes: dict[str, Any] | None = None) -> Task:
        return self.store.set_status(task_id, status, actor=actor, reason=reason, changes=changes)

    def close_task(self, task_id: str, *, actor: str, reason: str | None = None) -> Task:
        return self.store.set_status(task_id, TaskStatus.DONE, actor=actor, reason=reason)

    def reopen(self, task_id: str, *, actor: str) -> Task:
        return self.store.set_status(task_id, TaskStatus.OPEN, actor=actor)

    # -- dependencies ------------------------------------------------------------------------------
    def add_dependency(self, task_id: str, depends_on: str, dep_type: str, *, actor: str) -> Dependency:
        return self.store.add_dependency(Dependency(task_id, depends_on, dep_type, created_by=actor), actor=actor)

    def remove_dependency(self, task_id: str, depends_on: str, dep_type: str, *, actor: str) -> None:
        self.store.remove_dependency(task_id, depends_on, dep_type, actor=actor)

    def dependency_tree(self, task_id: str, *, reverse: bool = False, max_depth: int = 50) -> TreeNode:
        """What ``task_id`` waits on (gating and informational), or with ``reverse`` what waits on it."""
        tasks = {t.id: t for t in self.store.list_tasks(TaskQuery(include_deleted=True))}
        if task_id not in tasks:
            raise TaskNotFound(task_id)
        edges: dict[str, list[tuple[str, str]]] = {}
        for d in self.store.dependencies():
            src, dst = (d.depends_on, d.task_id) if reverse else (d.task_id, d.depends_on)
            edges.setdefault(src, []).append((dst, d.type))
        return _tree(task_id, None, tasks, edges, set(), max_depth)

    # -- epics -------------------------------------------------------------------------------------
    def epic_status(self, epic_id: str) -> EpicStatus:
        epic = self.store.get_task(epic_id)
        if not epic.is_epic:
            raise ValidationError("id", f"{epic_id} is a {epic.kind}, not an epic")
        kids = self.store.list_tasks(TaskQuery(parent=epic_id, include_deleted=True))
        counts: dict[str, int] = {}
        for k in kids:
            counts[k.status.value] = counts.get(k.status.value, 0) + 1
        kid_ids = {k.id for k in kids}
        ready = [t.id for t in self.store.ready() if t.id in kid_ids]
        return EpicStatus(epic, kids, counts, ready)

    def epics(self) -> list[Task]:
        return self.store.list_tasks(TaskQuery(kind=TaskKind.EPIC.value))

    # -- readiness and claims ----------------------------------------------------------------------
    def ready(self, limit: int | None = None) -> list[Task]:
        return self.store.ready(limit)

    def claim_next(self, worker: str, lease_seconds: float | None = None) -> Task | None:
        return self.store.claim_next(worker, lease_seconds or self.config.claims.lease_seconds)

    def claim(self, task_id: str, worker: str, lease_seconds: float | None = None) -> Task | None:
        return self.store.claim(task_id, worker, lease_seconds or self.config.claims.lease_seconds)

    def heartbeat(self, task_id: str, worker: str, lease_seconds: float | None = None) -> bool:
        return self.store.heartbeat(task_id, worker, lease_seconds or self.config.claims.lease_seconds)

    def release(self, task_id: str, worker: str, *, actor: str) -> Task:
        return self.store.release(task_id, worker, actor=actor)

    # -- events, interop ---------------------------------------------------------------------------
    def events(self, after_seq: int = 0, limit: int = 100, task_id: str | None = None) -> list[Event]:
        return self.store.events(after_seq, limit, task_id)

    def last_event_seq(self) -> int:
        return self.store.last_event_seq()

    def import_beads(self, path: Path, *, actor: str, skip_bad: bool = False) -> tuple[ImportSummary, Sequence[tuple[int, str]]]:
        batch = beads.read_beads_file(path, skip_bad=skip_bad)
        summary = self.store.import_graph(batch.tasks, batch.deps, actor=actor)
        return ImportSummary(summary.created, summary.updated, summary.dependencies, len(batch.skipped)), batch.skipped

    def export_beads(self, path: Path) -> int:
        tasks = self.store.list_tasks(TaskQuery(include_deleted=True))
        tasks.sort(key=lambda t: t.id)
        return beads.write_beads_file(path, tasks, self.store.dependencies())


def _tree(task_id: str, dep_type: str | None, tasks: dict[str, Task], edges: dict[str, list[tuple[str, str]]],
          seen: set[str], depth: int) -> TreeNode:
    task = tasks.get(task_id)
    if task is None:
        return TreeNode(task_id, "(missing)", "missing", dep_type, [], missing=True)
    if task_id in seen or depth <= 0:
        return TreeNode(task_id, task.title, task.status.value, dep_type, [], repeated=True)
    seen = seen | {task_id}
    kids = [_tree(nxt, t, tasks, edges, seen, depth - 1) for nxt, t in sorted(edges.get(task_id, []))]
    return TreeNode(task_id, task.title, task.status.value, dep_type, kids)

