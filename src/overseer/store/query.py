"""Filtering shared by the stores: what ``TaskQuery`` means for one task."""

from __future__ import annotations

from overseer.domain import Task, TaskStatus
from overseer.ports import TaskQuery


def matches(task: Task, query: TaskQuery) -> bool:
    if query.statuses is not None and task.status not in query.statuses:
        return False
    if query.statuses is None and not query.include_deleted and task.status == TaskStatus.DELETED:
        return False
    if query.kind is not None and task.kind != query.kind:
        return False
    if query.held is not None and bool(task.hold) != query.held:
        return False
    return query.label is None or query.label in task.labels
