"""The task state machine (docs/architecture.md draws it)."""

from __future__ import annotations

from datetime import datetime

from overseer.domain.enums import TaskStatus as S
from overseer.domain.errors import TransitionError
from overseer.domain.models import Task

_ANY_LIVE = {S.CANCELLED, S.DELETED}

TRANSITIONS: dict[S, frozenset[S]] = {
    S.OPEN: frozenset({S.CLAIMED, S.ON_HOLD, S.DONE} | _ANY_LIVE),
    S.CLAIMED: frozenset({S.RUNNING, S.OPEN, S.DONE, S.ESCALATED} | _ANY_LIVE),
    S.RUNNING: frozenset({S.VERIFYING, S.OPEN, S.FAILED, S.ESCALATED, S.DONE} | _ANY_LIVE),
    S.VERIFYING: frozenset({S.DONE, S.NEEDS_CHANGES, S.AWAITING_APPROVAL, S.ESCALATED, S.FAILED} | _ANY_LIVE),
    S.NEEDS_CHANGES: frozenset({S.OPEN, S.FAILED, S.ESCALATED} | _ANY_LIVE),
    S.AWAITING_APPROVAL: frozenset({S.DONE, S.OPEN, S.ESCALATED} | _ANY_LIVE),
    S.ON_HOLD: frozenset({S.OPEN, S.DONE} | _ANY_LIVE),
    S.ESCALATED: frozenset({S.OPEN, S.DONE} | _ANY_LIVE),
    S.FAILED: frozenset({S.OPEN} | _ANY_LIVE),
    S.DONE: frozenset({S.OPEN, S.DELETED}),
    S.CANCELLED: frozenset({S.OPEN, S.DELETED}),
    S.DELETED: frozenset({S.OPEN}),
}


# an epic is never claimed nor run: once its children landed it goes open -> verifying (epic review, then the merge gate)
EPIC_EXTRA: dict[S, frozenset[S]] = {S.OPEN: frozenset({S.VERIFYING})}


def allowed_from(current: S, *, epic: bool = False) -> frozenset[S]:
    return TRANSITIONS[current] | (EPIC_EXTRA.get(current, frozenset()) if epic else frozenset())


def can_transition(current: S, target: S, *, epic: bool = False) -> bool:
    return target in allowed_from(current, epic=epic)


def check_transition(task_id: str, current: S, target: S, *, epic: bool = False) -> None:
    """Raise ``TransitionError`` naming the legal targets when ``current -> target`` is not one."""
    if not can_transition(current, target, epic=epic):
        allowed = sorted(s.value for s in allowed_from(current, epic=epic))
        raise TransitionError(task_id, current.value, target.value, allowed)


def apply_status(task: Task, target: S, now: datetime, reason: str | None = None) -> Task:
    """The task after a legal move to ``target``: closing stamps ``closed_at``, reopening clears claim and close."""
    check_transition(task.id, task.status, target, epic=task.is_epic)
    changes: dict[str, object] = {"status": target, "updated_at": now, "version": task.version + 1}
    if target in (S.DONE, S.CANCELLED, S.DELETED):
        changes.update(closed_at=now, close_reason=reason, claimed_by=None, lease_expires_at=None)
    elif target == S.OPEN:
        changes.update(closed_at=None, close_reason=None, claimed_by=None, lease_expires_at=None)
    elif reason is not None:
        changes["close_reason"] = reason
    return task.evolve(**changes)
