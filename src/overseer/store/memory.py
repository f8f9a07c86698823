"""``InMemoryStore``: the task graph in dicts behind one lock. A real adapter, not a mock: the contract
suite runs it beside SQLite and PostgreSQL, and tests of upper layers use it where storage is not the point."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from overseer.domain import (
    ClaimError,
    CycleError,
    Dependency,
    DependencyError,
    Event,
    EventKind,
    RunNotFound,
    Task,
    TaskNotFound,
    TaskStatus,
    ValidationError,
    utcnow,
)
from overseer.domain.changes import apply_changes
from overseer.domain.enums import DepType, is_work_kind
from overseer.domain.graph import (
    ROLLUP_REASON,
    blocked_ids,
    epic_complete,
    epic_rollup,
    find_cycle,
    gating_edges,
    is_claimable,
    ready_tasks,
)
from overseer.domain.knowledge import KnowledgeEntry
from overseer.domain.runs import Run, RunStatus, apply_run_changes, run_event_data
from overseer.domain.transitions import apply_status
from overseer.domain.usage import Park, UsageEntry
from overseer.ports import ImportSummary, TaskQuery
from overseer.store.knowledge_memory import MemoryKnowledgeMixin
from overseer.store.ledger_memory import MemoryLedgerMixin
from overseer.store.query import matches

#: A lease is renewed only while its holder is working on the task (as the SQL store's HEARTBEAT query).
_WORKING = frozenset({TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING})


class InMemoryStore(MemoryLedgerMixin, MemoryKnowledgeMixin):
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._tasks: dict[str, Task] = {}
        self._deps: dict[tuple[str, str, str], Dependency] = {}
        self._events: list[Event] = []
        self._runs: dict[str, Run] = {}
        self._usage: dict[str, UsageEntry] = {}
        self._parks: dict[str, Park] = {}
        self._knowledge: dict[str, KnowledgeEntry] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _log(self, kind: str, task_id: str | None, actor: str, data: Mapping[str, Any] | None = None, run_id: str | None = None) -> None:
        self._events.append(Event(len(self._events) + 1, self._clock(), kind, task_id, run_id, actor, dict(data or {})))

    def _get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise TaskNotFound(task_id) from None

    def _check_dep(self, dep: Dependency, tasks: Mapping[str, Task]) -> None:
        for tid in (dep.task_id, dep.depends_on):
            if tid not in tasks:
                raise TaskNotFound(tid)
        if dep.task_id == dep.depends_on:
            raise DependencyError(f"task {dep.task_id} cannot depend on itself")
        if dep.gates:
            path = find_cycle(gating_edges(self._deps.values()), (dep.task_id, dep.depends_on))
            if path:
                raise CycleError(path)

    # -- tasks -----------------------------------------------------------------------------------
    def add_task(self, task: Task, deps: Sequence[Dependency] = (), *, actor: str) -> Task:
        with self._lock:
            if task.id in self._tasks:
                raise ValidationError("id", f"a task with id {task.id!r} already exists")
            staged = {**self._tasks, task.id: task}
            saved = dict(self._deps)
            try:
                for dep in deps:
                    self._check_dep(dep, staged)
                    self._deps[dep.key] = dep
            except Exception:
                self._deps = saved
                raise
            self._tasks[task.id] = task
            self._log(EventKind.TASK_CREATED, task.id, actor, {"title": task.title, "kind": task.kind})
            for dep in deps:
                self._log(EventKind.DEP_ADDED, dep.task_id, actor, {"depends_on": dep.depends_on, "type": dep.type})
            return task

    def get_task(self, task_id: str) -> Task:
        with self._lock:
            return self._get(task_id)

    def _matching(self, query: TaskQuery) -> list[Task]:
        children = None
        if query.parent is not None:
            children = {d.task_id for d in self._deps.values() if d.type == DepType.PARENT_CHILD.value and d.depends_on == query.parent}
        return [t for t in self._tasks.values() if matches(t, query) and (children is None or t.id in children)]

    def list_tasks(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        with self._lock:
            found = sorted(self._matching(query), key=lambda t: (t.priority, t.created_at, t.id))
            end = None if query.limit is None else query.offset + query.limit
            return found[query.offset : end]

    def count_tasks(self, query: TaskQuery = TaskQuery()) -> int:
        with self._lock:
            return len(self._matching(query))

    def status_counts(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for t in self._tasks.values():
                if t.status != TaskStatus.DELETED:
                    counts[t.status.value] = counts.get(t.status.value, 0) + 1
            return counts

    def update_task(self, task_id: str, changes: Mapping[str, Any], *, actor: str) -> Task:
        with self._lock:
            task = apply_changes(self._get(task_id), changes, self._clock())
            self._tasks[task_id] = task
            self._log(EventKind.TASK_UPDATED, task_id, actor, {"fields": sorted(changes)})
            return task

    def set_status(self, task_id: str, status: TaskStatus, *, actor: str, reason: str | None = None,
                   changes: Mapping[str, Any] | None = None) -> Task:
        with self._lock:
            before = self._get(task_id)
            task = apply_status(apply_changes(before, changes, self._clock()) if changes else before, status, self._clock(), reason)
            self._tasks[task_id] = task
            self._log(EventKind.TASK_STATUS, task_id, actor, {"from": before.status.value, "to": status.value, "reason": reason})
            if status in (TaskStatus.DONE, TaskStatus.DELETED):  # a deleted child no longer holds its epic open
                self._roll_up(task_id, actor)
            return task

    def _roll_up(self, task_id: str, actor: str) -> None:
        parents = [d.depends_on for d in self._deps.values() if d.type == DepType.PARENT_CHILD.value and d.task_id == task_id]
        for pid in parents:
            parent = self._tasks.get(pid)
            if parent is None or not parent.is_epic:
                continue
            target = epic_rollup(parent)
            if target is None:
                continue
            kids = [self._tasks[d.task_id] for d in self._deps.values()
                    if d.type == DepType.PARENT_CHILD.value and d.depends_on == pid and d.task_id in self._tasks]
            if epic_complete(kids):
                self._tasks[pid] = apply_status(parent, target, self._clock(), ROLLUP_REASON[target])
                kind = EventKind.EPIC_CLOSED if target == TaskStatus.DONE else EventKind.EPIC_COMPLETED
                self._log(kind, pid, actor, {"children": len(kids)})
                if target == TaskStatus.DONE:
                    self._roll_up(pid, actor)

    # -- dependencies ----------------------------------------------------------------------------
    def add_dependency(self, dep: Dependency, *, actor: str) -> Dependency:
        with self._lock:
            if dep.key in self._deps:
                raise DependencyError(f"{dep.task_id} already depends on {dep.depends_on} ({dep.type})")
            self._check_dep(dep, self._tasks)
            self._deps[dep.key] = dep
            self._log(EventKind.DEP_ADDED, dep.task_id, actor, {"depends_on": dep.depends_on, "type": dep.type})
            return dep

    def remove_dependency(self, task_id: str, depends_on: str, dep_type: str, *, actor: str) -> None:
        with self._lock:
            if self._deps.pop((task_id, depends_on, dep_type), None) is None:
                raise DependencyError(f"{task_id} has no {dep_type} dependency on {depends_on}")
            self._log(EventKind.DEP_REMOVED, task_id, actor, {"depends_on": depends_on, "type": dep_type})

    def dependencies(self, task_id: str | None = None) -> list[Dependency]:
        with self._lock:
            deps = [d for d in self._deps.values() if task_id is None or task_id in (d.task_id, d.depends_on)]
            return sorted(deps, key=lambda d: d.key)

    # -- readiness and claims --------------------------------------------------------------------
    def ready(self, limit: int | None = None) -> list[Task]:
        with self._lock:
            found = ready_tasks(self._tasks, self._deps.values(), self._clock())
            return found[:limit] if limit is not None else found

    def is_blocked(self, task_id: str) -> bool:
        with self._lock:
            self._get(task_id)
            return task_id in blocked_ids(self._tasks, self._deps.values())

    def claim(self, task_id: str, worker: str, lease_seconds: float) -> Task | None:
        with self._lock:
            task = self._get(task_id)
            now = self._clock()
            if not is_claimable(task, now):
                return None
            if not is_work_kind(task.kind) or task.hold is not None or task_id in blocked_ids(self._tasks, self._deps.values()):
                raise ClaimError(f"task {task_id} is not ready (blocked, held or not work); see `overseer ready`")
            return self._take(task, worker, lease_seconds, now)

    def start_run(self, task_id: str, run: Run, *, worker: str, lease_seconds: float) -> Task | None:
        with self._lock:  # re-entrant: claim and add_run below share this one critical section
            if run.id in self._runs:
                raise ValidationError("id", f"a run with id {run.id!r} already exists")
            claimed = self.claim(task_id, worker, lease_seconds)
            if claimed is None:
                return None
            running = apply_status(claimed, TaskStatus.RUNNING, self._clock(), f"run {run.id}")
            self._tasks[task_id] = running
            self._log(EventKind.TASK_STATUS, task_id, worker, {"from": "claimed", "to": "running", "reason": f"run {run.id}"})
            self.add_run(run, actor=worker)
            return running

    def _take(self, task: Task, worker: str, lease_seconds: float, now: datetime) -> Task:
        taken = task.evolve(status=TaskStatus.CLAIMED, claimed_by=worker, lease_expires_at=now + timedelta(seconds=lease_seconds),
                            updated_at=now, version=task.version + 1)
        self._tasks[task.id] = taken
        self._log(EventKind.TASK_CLAIMED, task.id, worker, {"lease_seconds": lease_seconds, "previous": task.claimed_by})
        return taken

    def claim_next(self, worker: str, lease_seconds: float) -> Task | None:
        with self._lock:
            now = self._clock()
            found = ready_tasks(self._tasks, self._deps.values(), now)
            return self._take(found[0], worker, lease_seconds, now) if found else None

    def heartbeat(self, task_id: str, worker: str, lease_seconds: float) -> bool:
        with self._lock:
            task = self._get(task_id)
            if task.claimed_by != worker or task.status not in _WORKING:
                return False
            self._tasks[task_id] = task.evolve(lease_expires_at=self._clock() + timedelta(seconds=lease_seconds))
            return True

    def release(self, task_id: str, worker: str, *, actor: str) -> Task:
        with self._lock:
            task = self._get(task_id)
            if task.status != TaskStatus.CLAIMED or task.claimed_by != worker:
                raise ClaimError(f"task {task_id} is not claimed by {worker} (status {task.status.value}, holder {task.claimed_by})")
            freed = apply_status(task, TaskStatus.OPEN, self._clock())
            self._tasks[task_id] = freed
            self._log(EventKind.TASK_RELEASED, task_id, actor, {"worker": worker})
            return freed

    # -- events, import --------------------------------------------------------------------------
    def events(self, after_seq: int = 0, limit: int = 100, task_id: str | None = None) -> list[Event]:
        with self._lock:
            found = [e for e in self._events[after_seq:] if task_id is None or e.task_id == task_id]
            return found[:limit]

    def last_event_seq(self) -> int:
        with self._lock:
            return len(self._events)

    def record_event(self, kind: str, *, actor: str, task_id: str | None = None, run_id: str | None = None,
                     data: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            self._log(kind, task_id, actor, data, run_id)

    def import_graph(self, tasks: Sequence[Task], deps: Sequence[Dependency], *, actor: str) -> ImportSummary:
        with self._lock:
            merged = {**self._tasks, **{t.id: t for t in tasks}}
            fresh = {d.key: d for d in deps if d.key not in self._deps}  # like SqlStore: existing edges are kept, not counted
            merged_deps = {**self._deps, **fresh}
            cycle = find_cycle(gating_edges(merged_deps.values()))
            if cycle:
                raise CycleError(cycle)
            created = sum(1 for t in tasks if t.id not in self._tasks)
            self._tasks, self._deps = merged, merged_deps
            summary = ImportSummary(created=created, updated=len(tasks) - created, dependencies=len(fresh))
            self._log(EventKind.IMPORTED, None, actor, summary.counts())
            return summary

    # -- runs ------------------------------------------------------------------------------------------
    def add_run(self, run: Run, *, actor: str) -> Run:
        with self._lock:
            self._get(run.task_id)
            if run.id in self._runs:
                raise ValidationError("id", f"a run with id {run.id!r} already exists")
            self._runs[run.id] = run
            self._log("run.created", run.task_id, actor, {"profile": run.profile, "attempt": run.attempt}, run.id)
            return run

    def get_run(self, run_id: str) -> Run:
        with self._lock:
            try:
                return self._runs[run_id]
            except KeyError:
                raise RunNotFound(run_id) from None

    def update_run(self, run_id: str, changes: Mapping[str, Any], *, actor: str, event: str | None = None) -> Run:
        with self._lock:
            run = apply_run_changes(self.get_run(run_id), changes)
            self._runs[run_id] = run
            if event is not None:
                self._log(event, run.task_id, actor, run_event_data(run, event), run_id)
            return run

    def list_runs(self, *, task_id: str | None = None, statuses: tuple[RunStatus, ...] | None = None,
                  limit: int | None = None) -> list[Run]:
        with self._lock:
            found = [r for r in self._runs.values() if (task_id is None or r.task_id == task_id)
                     and (statuses is None or r.status in statuses)]
            found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
            return found[:limit] if limit is not None else found

    def close(self) -> None:
        pass
