"""Ports: the narrow interfaces the service needs. Adapters implement them; the service receives them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from overseer.domain import Dependency, Event, Task, TaskStatus
from overseer.domain.changes import UPDATABLE_FIELDS

__all__ = ["UPDATABLE_FIELDS", "ImportSummary", "TaskQuery", "TaskStore"]




@dataclass(frozen=True)
class TaskQuery:
    """Filters for ``list_tasks``; ``None`` means any."""

    statuses: tuple[TaskStatus, ...] | None = None
    kind: str | None = None
    label: str | None = None
    parent: str | None = None
    include_deleted: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    dependencies: int
    skipped: int = 0


@runtime_checkable
class TaskStore(Protocol):
    """The task graph. Every method that changes anything runs in one transaction and appends its events."""

    def add_task(self, task: Task, deps: Sequence[Dependency] = (), *, actor: str) -> Task: ...

    def get_task(self, task_id: str) -> Task: ...

    def list_tasks(self, query: TaskQuery = TaskQuery()) -> list[Task]: ...

    def update_task(self, task_id: str, changes: Mapping[str, Any], *, actor: str) -> Task: ...

    def set_status(self, task_id: str, status: TaskStatus, *, actor: str, reason: str | None = None) -> Task: ...

    def add_dependency(self, dep: Dependency, *, actor: str) -> Dependency: ...

    def remove_dependency(self, task_id: str, depends_on: str, dep_type: str, *, actor: str) -> None: ...

    def dependencies(self, task_id: str | None = None) -> list[Dependency]: ...

    def ready(self, limit: int | None = None) -> list[Task]: ...

    def claim(self, task_id: str, worker: str, lease_seconds: float) -> Task | None: ...

    def claim_next(self, worker: str, lease_seconds: float) -> Task | None: ...

    def heartbeat(self, task_id: str, worker: str, lease_seconds: float) -> bool: ...

    def release(self, task_id: str, worker: str, *, actor: str) -> Task: ...

    def events(self, after_seq: int = 0, limit: int = 100, task_id: str | None = None) -> list[Event]: ...

    def import_graph(self, tasks: Sequence[Task], deps: Sequence[Dependency], *, actor: str) -> ImportSummary: ...

    def close(self) -> None: ...
