"""The task state machine: which moves are legal, what a refusal says, and what a move stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from overseer.domain import Task, TaskStatus, TransitionError
from overseer.domain.transitions import TRANSITIONS, allowed_from, apply_status, can_transition, check_transition

S = TaskStatus
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
CLOSING = (S.DONE, S.CANCELLED, S.DELETED)


def reachable(start: S) -> set[S]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in TRANSITIONS[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def claimed_task(status: S = S.CLAIMED) -> Task:
    return Task(id="ov-1", title="t", status=status, claimed_by="w", lease_expires_at=NOW + timedelta(minutes=5),
                created_at=NOW - timedelta(hours=1), updated_at=NOW - timedelta(hours=1))


def test_every_status_has_its_moves_and_none_moves_to_itself() -> None:
    assert set(TRANSITIONS) == set(S)
    assert [s for s in S if s in allowed_from(s)] == []


def test_every_status_can_reach_every_other_through_legal_moves() -> None:
    assert {s.value: sorted(set(S) - reachable(s)) for s in S} == {s.value: [] for s in S}


@pytest.mark.parametrize("status", [s for s in S if s != S.DELETED])
def test_every_status_but_deleted_can_be_deleted(status: S) -> None:
    assert can_transition(status, S.DELETED)


def test_a_deleted_task_can_only_be_reopened() -> None:
    assert allowed_from(S.DELETED) == {S.OPEN}


def test_an_open_task_cannot_skip_straight_to_running_or_verifying() -> None:
    assert not can_transition(S.OPEN, S.RUNNING)
    assert not can_transition(S.OPEN, S.VERIFYING)


def test_a_refused_move_names_the_task_both_statuses_and_every_legal_target_in_order() -> None:
    with pytest.raises(TransitionError) as info:
        check_transition("ov-1", S.DONE, S.RUNNING)
    assert (info.value.task_id, info.value.current, info.value.target) == ("ov-1", "done", "running")
    assert str(info.value) == "task ov-1 cannot go from done to running (from done it may go to: deleted, open)"


@pytest.mark.parametrize("target", CLOSING)
def test_closing_stamps_when_and_why_and_lets_go_of_the_claim(target: S) -> None:
    before = claimed_task()
    after = apply_status(before, target, NOW, "finished")
    assert (after.status, after.closed_at, after.close_reason) == (target, NOW, "finished")
    assert (after.claimed_by, after.lease_expires_at) == (None, None)
    assert (after.updated_at, after.version) == (NOW, before.version + 1)
    assert before.status == S.CLAIMED  # the task itself is a frozen value: untouched


def test_reopening_clears_the_close_and_the_claim() -> None:
    closed = apply_status(claimed_task(), S.DONE, NOW, "finished")
    reopened = apply_status(closed, S.OPEN, NOW + timedelta(seconds=1))
    assert (reopened.status, reopened.closed_at, reopened.close_reason, reopened.claimed_by, reopened.lease_expires_at) == (
        S.OPEN, None, None, None, None,
    )
    assert reopened.version == closed.version + 1


def test_moving_along_keeps_the_claim_and_records_a_reason_when_given() -> None:
    running = apply_status(claimed_task(), S.RUNNING, NOW)
    assert (running.claimed_by, running.close_reason, running.closed_at) == ("w", None, None)
    escalated = apply_status(running, S.ESCALATED, NOW, "agent gave up")
    assert (escalated.status, escalated.close_reason, escalated.closed_at) == (S.ESCALATED, "agent gave up", None)
    assert escalated.claimed_by == "w"


def test_apply_status_refuses_an_illegal_move_with_transition_error() -> None:
    with pytest.raises(TransitionError, match="from claimed to verifying"):
        apply_status(claimed_task(), S.VERIFYING, NOW)
