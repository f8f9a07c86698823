"""A plan's phase gates: approving a held phase epic releases the phase (its tasks with it, one event each); rejecting it
cancels the phase's tasks with the reason; the other phases keep waiting."""

from __future__ import annotations

import pytest

from overseer.bootstrap import open_approvals
from overseer.domain import Task, TaskStatus, ValidationError
from overseer.planning import StoredPlan
from overseer.ports import TaskQuery
from tests.planning.conftest import Planning
from tests.planning.plans import text


@pytest.fixture
def stored(planning: Planning) -> StoredPlan:
    planning.replies(text())
    outcome = planning.planner().plan("Add mul and sub")
    assert outcome.stored is not None
    return outcome.stored


def kids(p: Planning, epic_id: str) -> list[Task]:
    return p.sup.list_tasks(TaskQuery(parent=epic_id, include_deleted=True))


def test_held_phases_are_listed_as_phase_approvals_that_stand_for_their_tasks(planning: Planning, stored: StoredPlan) -> None:
    pending = open_approvals(planning.sup, actor="t").pending()
    assert [a.task.id for a in pending] == [ph.id for ph in stored.phases]
    assert {a.kind for a in pending} == {"phase"}  # a phase's tasks share its hold: one approval, not one per task


def test_approving_a_phase_releases_it_and_its_tasks_with_one_event_each(planning: Planning, stored: StoredPlan) -> None:
    p = planning
    one, two = stored.phases
    seq = p.sup.last_event_seq()
    outcome = open_approvals(p.sup, actor="alice").approve(one.id, note="go")
    assert (outcome.action, outcome.detail.split(" (")[0]) == ("released", "released phase: 2 tasks")
    assert p.sup.get(one.id).hold is None and all(t.hold is None for t in kids(p, one.id))
    events = p.sup.events(after_seq=seq, limit=100)
    assert sorted(str(e.task_id) for e in events if e.kind == "task.updated") == sorted([one.id, *(t.id for t in kids(p, one.id))])
    [granted] = [e for e in events if e.kind == "approval.granted"]
    assert granted.task_id == one.id and granted.data["gate"] == "phase" and granted.actor == "alice"
    assert [t.title for t in p.sup.ready()] == ["Add mul"]  # its dependent waits for it
    assert p.sup.get(two.id).hold is not None and all(t.hold == p.sup.get(two.id).hold for t in kids(p, two.id))
    with pytest.raises(ValidationError):
        open_approvals(p.sup, actor="alice").approve(one.id)  # nothing waits any more


def test_rejecting_a_phase_cancels_its_tasks_with_the_reason(planning: Planning, stored: StoredPlan) -> None:
    p = planning
    one, two = stored.phases
    outcome = open_approvals(p.sup, actor="bob").reject(two.id, reason="docs are not needed")
    assert (outcome.action, outcome.task.status) == ("cancelled", TaskStatus.CANCELLED)
    assert outcome.detail.startswith("cancelled phase: 2 tasks")
    assert {(t.status, t.close_reason) for t in kids(p, two.id)} == {
        (TaskStatus.CANCELLED, "phase rejected before it started: docs are not needed")}
    assert p.sup.get(one.id).hold is not None and {t.status for t in kids(p, one.id)} == {TaskStatus.OPEN}
