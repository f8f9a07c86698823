"""Runs in every store: recorded, updated with their events, listed newest first, refused when wrong."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from overseer.domain import RunNotFound, TaskNotFound, ValidationError
from overseer.domain.runs import ExitReason, Run, RunStatus


def add_task_and_run(store: Any, new_task: Any, clock: Any, run_id: str = "run-1", task_id: str = "ov-1") -> Run:
    if task_id not in {t.id for t in store.list_tasks()}:
        store.add_task(new_task(task_id), actor="alice")
    return store.add_run(Run(run_id, task_id, "cheap", "command", created_at=clock()), actor="sup")


def test_a_run_is_recorded_with_an_event_that_names_it(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock)
    assert store.get_run("run-1").status == RunStatus.STARTING
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.run_id) == ("run.created", "ov-1", "run-1")


def test_updating_a_run_changes_only_the_given_fields_and_logs_the_named_event(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock)
    store.update_run("run-1", {"status": RunStatus.RUNNING, "pid": 4242, "branch": "overseer/run/run-1"}, actor="sup", event="run.started")
    done = store.update_run("run-1", {"status": RunStatus.SUCCEEDED, "exit_reason": ExitReason.COMPLETED, "tokens_in": 10,
                                      "tokens_out": 5, "cost_usd": 0.25, "diff_stat": {"files": 2, "insertions": 3, "deletions": 1},
                                      "ended_at": clock()}, actor="sup", event="run.finished")
    again = store.get_run("run-1")
    assert again == done
    assert (again.pid, again.branch, again.tokens_in, again.cost_usd) == (4242, "overseer/run/run-1", 10, 0.25)
    assert dict(again.diff_stat) == {"files": 2, "insertions": 3, "deletions": 1}
    finished = [e for e in store.events() if e.kind == "run.finished"]
    assert len(finished) == 1 and finished[0].data["status"] == "succeeded" and finished[0].data["reason"] == "completed"


def test_an_update_without_an_event_name_appends_no_event(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock)
    before = len(store.events())
    store.update_run("run-1", {"heartbeat_at": clock()}, actor="sup")
    assert len(store.events()) == before


def test_runs_list_newest_first_and_filter_by_task_and_status(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock, "run-a", "ov-1")
    clock.advance(5)
    add_task_and_run(store, new_task, clock, "run-b", "ov-2")
    clock.advance(5)
    add_task_and_run(store, new_task, clock, "run-c", "ov-1")
    store.update_run("run-c", {"status": RunStatus.RUNNING}, actor="sup")
    assert [r.id for r in store.list_runs()] == ["run-c", "run-b", "run-a"]
    assert [r.id for r in store.list_runs(task_id="ov-1")] == ["run-c", "run-a"]
    assert [r.id for r in store.list_runs(statuses=(RunStatus.RUNNING,))] == ["run-c"]
    assert [r.id for r in store.list_runs(limit=1)] == ["run-c"]


def test_a_run_for_an_unknown_task_or_a_duplicate_id_is_refused_and_changes_nothing(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock)
    before = len(store.events())
    with pytest.raises(TaskNotFound):
        store.add_run(Run("run-2", "ov-missing", "cheap", "command"), actor="sup")
    with pytest.raises(ValidationError) as caught:
        store.add_run(Run("run-1", "ov-1", "cheap", "command"), actor="sup")
    assert caught.value.field == "id"
    assert len(store.events()) == before and len(store.list_runs()) == 1


def test_bad_run_updates_name_the_field_and_unknown_runs_are_not_found(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock)
    with pytest.raises(ValidationError) as caught:
        store.update_run("run-1", {"status": "exploded"}, actor="sup")
    assert caught.value.field == "status"
    with pytest.raises(ValidationError) as unknown:
        store.update_run("run-1", {"colour": "red"}, actor="sup")
    assert unknown.value.field == "colour"
    with pytest.raises(RunNotFound):
        store.update_run("run-nope", {"pid": 1}, actor="sup")
    assert store.get_run("run-1").status == RunStatus.STARTING


def test_run_times_survive_the_round_trip_to_the_microsecond(store: Any, new_task: Any, clock: Any) -> None:
    run = add_task_and_run(store, new_task, clock)
    started = clock() + timedelta(microseconds=123457)
    store.update_run("run-1", {"started_at": started, "heartbeat_at": started}, actor="sup")
    got = store.get_run("run-1")
    assert got.started_at == started and got.created_at == run.created_at


def test_an_update_with_no_changes_still_logs_its_event(store: Any, new_task: Any, clock: Any) -> None:
    add_task_and_run(store, new_task, clock)
    store.update_run("run-1", {}, actor="sup", event="run.rate_limited")
    assert store.events()[-1].kind == "run.rate_limited" and store.get_run("run-1").status == RunStatus.STARTING


def test_a_status_move_can_carry_field_changes_in_the_same_transaction(store: Any, new_task: Any) -> None:
    from overseer.domain import TaskStatus

    store.add_task(new_task("ov-1"), actor="alice")
    moved = store.set_status("ov-1", TaskStatus.CANCELLED, actor="bob", changes={"attempts": 2, "notes": "gave up"})
    assert (moved.status, moved.attempts, moved.notes) == (TaskStatus.CANCELLED, 2, "gave up")
    assert store.get_task("ov-1") == moved
    before = len(store.events())
    with pytest.raises(ValidationError):
        store.set_status("ov-1", TaskStatus.OPEN, actor="bob", changes={"attempts": -1})
    assert store.get_task("ov-1") == moved and len(store.events()) == before


def test_the_last_event_seq_follows_every_change(store: Any, new_task: Any) -> None:
    assert store.last_event_seq() == 0
    store.add_task(new_task("ov-1"), actor="alice")
    first = store.last_event_seq()
    assert first == store.events()[-1].seq
    store.update_task("ov-1", {"notes": "x"}, actor="bob")
    assert store.last_event_seq() == first + 1


def test_start_run_claims_moves_to_running_and_records_the_run_in_one_step(store: Any, new_task: Any, clock: Any) -> None:
    from overseer.domain import TaskStatus

    store.add_task(new_task("ov-1"), actor="alice")
    running = store.start_run("ov-1", Run("run-1", "ov-1", "cheap", "command", created_at=clock()), worker="w1", lease_seconds=60)
    assert running.status == TaskStatus.RUNNING and running.claimed_by == "w1" and running.lease_expires_at is not None
    assert store.get_task("ov-1") == running and store.get_run("run-1").task_id == "ov-1"
    assert [e.kind for e in store.events()][-3:] == ["task.claimed", "task.status", "run.created"]
    before = len(store.events())
    lost = store.start_run("ov-1", Run("run-2", "ov-1", "cheap", "command", created_at=clock()), worker="w2", lease_seconds=60)
    assert lost is None and len(store.events()) == before
    with pytest.raises(RunNotFound):
        store.get_run("run-2")


def test_start_run_on_a_blocked_task_is_refused_and_changes_nothing(store: Any, new_task: Any, clock: Any) -> None:
    from overseer.domain import ClaimError, Dependency

    store.add_task(new_task("ov-gate"), actor="a")
    store.add_task(new_task("ov-1"), [Dependency("ov-1", "ov-gate", "blocks")], actor="a")
    before = len(store.events())
    with pytest.raises(ClaimError):
        store.start_run("ov-1", Run("run-1", "ov-1", "cheap", "command", created_at=clock()), worker="w", lease_seconds=60)
    assert len(store.events()) == before and store.list_runs() == []
