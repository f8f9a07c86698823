"""Vocabulary of the task graph: statuses, kinds, work types, dependency types."""

from __future__ import annotations

from enum import Enum


class TaskStatus(str, Enum):
    """Where a task is in its life. See ``domain.transitions`` for the legal moves."""

    OPEN = "open"
    CLAIMED = "claimed"
    RUNNING = "running"
    VERIFYING = "verifying"
    NEEDS_CHANGES = "needs_changes"
    AWAITING_APPROVAL = "awaiting_approval"
    ON_HOLD = "on_hold"
    DONE = "done"
    FAILED = "failed"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"
    DELETED = "deleted"

    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.DELETED})


class TaskKind(str, Enum):
    """Kinds Overseer knows. Imported kinds it does not know are kept as plain strings."""

    EPIC = "epic"
    TASK = "task"
    BUG = "bug"
    FEATURE = "feature"
    CHORE = "chore"
    REVIEW = "review"
    PLAN = "plan"


WORK_KINDS = frozenset(
    k.value for k in (TaskKind.TASK, TaskKind.BUG, TaskKind.FEATURE, TaskKind.CHORE, TaskKind.REVIEW, TaskKind.PLAN)
)


def is_work_kind(kind: str) -> bool:
    """True when a task of this kind is something an agent can do (epics and imported kinds are not)."""
    return kind in WORK_KINDS


class WorkType(str, Enum):
    """What kind of effort a task needs; the router picks agents by it."""

    PLANNING = "planning"
    IMPLEMENTATION = "implementation"
    REVIEW = "review"
    VERIFICATION = "verification"


class Complexity(str, Enum):
    SIMPLE = "simple"
    MEDIUM = "medium"
    COMPLEX = "complex"


class DepType(str, Enum):
    """Dependency types Overseer knows. Imported types it does not know are kept as strings."""

    BLOCKS = "blocks"
    PARENT_CHILD = "parent-child"
    RELATED = "related"
    DISCOVERED_FROM = "discovered-from"


GATING_DEP_TYPES = frozenset({DepType.BLOCKS.value, DepType.PARENT_CHILD.value})


def affects_ready_work(dep_type: str) -> bool:
    """Only ``blocks`` and ``parent-child`` gate readiness; every other type is informational."""
    return dep_type in GATING_DEP_TYPES


class EventKind(str, Enum):
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_STATUS = "task.status"
    TASK_CLAIMED = "task.claimed"
    TASK_RELEASED = "task.released"
    TASK_HEARTBEAT = "task.heartbeat"
    DEP_ADDED = "dep.added"
    DEP_REMOVED = "dep.removed"
    EPIC_CLOSED = "epic.closed"
    EPIC_COMPLETED = "epic.completed"   # every child landed on the integration branch: review and merge next
    IMPORTED = "import.beads"
