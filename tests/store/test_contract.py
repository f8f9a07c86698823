"""The TaskStore contract, part one: tasks, listing, updates, status moves and the event log.

Every test runs against the in-memory, SQLite and PostgreSQL stores (the ``store`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from overseer.domain import (
    Budget,
    Complexity,
    Dependency,
    Task,
    TaskNotFound,
    TaskStatus,
    TransitionError,
    ValidationError,
    WorkType,
)
from overseer.domain.transitions import allowed_from
from overseer.ports import TaskQuery, TaskStore

NewTask = Callable[..., Task]


def everything(store: TaskStore) -> tuple[list[Task], list[Dependency], int]:
    """What a refusal must leave untouched: all tasks (deleted too), all dependencies, the event count."""
    return store.list_tasks(TaskQuery(include_deleted=True)), store.dependencies(), len(store.events(limit=10_000))


# -- add / get ---------------------------------------------------------------------------------------
def test_a_task_comes_back_from_the_store_with_every_field_as_it_was_saved(store: TaskStore, new_task: NewTask) -> None:
    task = new_task(
        "ov-full",
        body="do the thing\nwith two lines",
        kind="bug",
        priority=0,
        work_type=WorkType.REVIEW,
        complexity=Complexity.COMPLEX,
        labels=("backend", "urgent"),
        acceptance=("tests pass", "docs updated"),
        file_hints=("src/a.py",),
        budget=Budget(max_attempts=5, max_iterations=40, max_cost_usd=2.5),
        attempts=1,
        profile="careful",
        notes="see thread",
        hold="approval:plan",
        extra={"beads": {"design": "x", "n": 3}},
    )
    assert store.add_task(task, actor="alice") == task
    assert store.get_task("ov-full") == task


def test_an_imported_kind_the_store_does_not_know_is_kept_as_written(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-odd", kind="spike"), actor="alice")
    assert store.get_task("ov-odd").kind == "spike"


def test_getting_an_unknown_id_raises_task_not_found_naming_the_id(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound) as info:
        store.get_task("ov-nope")
    assert info.value.task_id == "ov-nope"
    assert "ov-nope" in str(info.value)


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.update_task("ov-nope", {"title": "x"}, actor="a"), id="update_task"),
        pytest.param(lambda s: s.set_status("ov-nope", TaskStatus.DONE, actor="a"), id="set_status"),
        pytest.param(lambda s: s.claim("ov-nope", "w1", 60), id="claim"),
        pytest.param(lambda s: s.heartbeat("ov-nope", "w1", 60), id="heartbeat"),
        pytest.param(lambda s: s.release("ov-nope", "w1", actor="a"), id="release"),
    ],
)
def test_every_operation_on_an_unknown_id_raises_task_not_found_and_logs_nothing(
    store: TaskStore, operation: Callable[[TaskStore], Any]
) -> None:
    with pytest.raises(TaskNotFound):
        operation(store)
    assert store.events() == []


def test_adding_a_task_with_an_id_already_taken_is_refused_and_the_first_task_kept(store: TaskStore, new_task: NewTask) -> None:
    first = store.add_task(new_task("ov-1", title="first"), actor="alice")
    before = everything(store)
    with pytest.raises(ValidationError) as info:
        store.add_task(new_task("ov-1", title="second"), actor="bob")
    assert info.value.field == "id"
    assert store.get_task("ov-1") == first
    assert everything(store) == before


def test_adding_a_task_with_a_dependency_on_an_unknown_id_adds_neither(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-a"), actor="alice")
    before = everything(store)
    with pytest.raises(TaskNotFound) as info:
        store.add_task(new_task("ov-b"), [Dependency("ov-b", "ov-a"), Dependency("ov-b", "ov-ghost")], actor="alice")
    assert info.value.task_id == "ov-ghost"
    assert everything(store) == before


def test_adding_a_task_with_dependencies_stores_them_and_logs_each(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-a"), actor="alice")
    store.add_task(new_task("ov-b"), [Dependency("ov-b", "ov-a", "blocks")], actor="bob")
    assert [d.key for d in store.dependencies("ov-b")] == [("ov-b", "ov-a", "blocks")]
    assert [(e.kind, e.task_id, e.actor) for e in store.events()] == [
        ("task.created", "ov-a", "alice"),
        ("task.created", "ov-b", "bob"),
        ("dep.added", "ov-b", "bob"),
    ]


# -- list ------------------------------------------------------------------------------------------
@pytest.fixture
def assorted(store: TaskStore, new_task: NewTask) -> TaskStore:
    """Six tasks: two under an epic, one deleted, labels and statuses mixed."""
    store.add_task(new_task("ov-epic", kind="epic", priority=1), actor="t")
    store.add_task(new_task("ov-bug", kind="bug", priority=0, labels=("backend",)), [Dependency("ov-bug", "ov-epic", "parent-child")],
                   actor="t")
    store.add_task(new_task("ov-feat", kind="feature", labels=("frontend", "backend")), [Dependency("ov-feat", "ov-epic", "parent-child")],
                   actor="t")
    store.add_task(new_task("ov-chore", kind="chore", priority=3), actor="t")
    store.add_task(new_task("ov-done", priority=2), actor="t")
    store.add_task(new_task("ov-gone", priority=2, labels=("backend",)), actor="t")
    store.set_status("ov-done", TaskStatus.DONE, actor="t")
    store.set_status("ov-gone", TaskStatus.DELETED, actor="t")
    return store


def ids(tasks: list[Task]) -> list[str]:
    return [t.id for t in tasks]


def test_listing_orders_by_priority_then_age_and_hides_deleted_tasks(assorted: TaskStore) -> None:
    assert ids(assorted.list_tasks()) == ["ov-bug", "ov-epic", "ov-feat", "ov-done", "ov-chore"]


def test_listing_with_include_deleted_shows_deleted_tasks_too(assorted: TaskStore) -> None:
    assert ids(assorted.list_tasks(TaskQuery(include_deleted=True))) == ["ov-bug", "ov-epic", "ov-feat", "ov-done", "ov-gone", "ov-chore"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(TaskQuery(statuses=(TaskStatus.DONE,)), ["ov-done"], id="one-status"),
        pytest.param(TaskQuery(statuses=(TaskStatus.DONE, TaskStatus.DELETED)), ["ov-done", "ov-gone"], id="deleted-asked-for"),
        pytest.param(TaskQuery(statuses=(TaskStatus.RUNNING,)), [], id="no-match"),
        pytest.param(TaskQuery(kind="feature"), ["ov-feat"], id="kind"),
        pytest.param(TaskQuery(label="backend"), ["ov-bug", "ov-feat"], id="label-hides-deleted"),
        pytest.param(TaskQuery(label="backend", include_deleted=True), ["ov-bug", "ov-feat", "ov-gone"], id="label-with-deleted"),
        pytest.param(TaskQuery(label="back"), [], id="label-is-whole-word"),
        pytest.param(TaskQuery(parent="ov-epic"), ["ov-bug", "ov-feat"], id="parent"),
        pytest.param(TaskQuery(parent="ov-chore"), [], id="parent-without-children"),
        pytest.param(TaskQuery(statuses=(TaskStatus.OPEN,), label="backend", parent="ov-epic"), ["ov-bug", "ov-feat"], id="combined"),
        pytest.param(TaskQuery(limit=2), ["ov-bug", "ov-epic"], id="limit"),
        pytest.param(TaskQuery(label="backend", limit=1), ["ov-bug"], id="limit-after-label"),
        pytest.param(TaskQuery(limit=0), [], id="limit-zero"),
    ],
)
def test_listing_filters_by_status_kind_label_parent_and_limit(assorted: TaskStore, query: TaskQuery, expected: list[str]) -> None:
    assert ids(assorted.list_tasks(query)) == expected


def test_listing_can_ask_for_held_tasks_alone_or_leave_them_out(assorted: TaskStore) -> None:
    assorted.update_task("ov-chore", {"hold": "waits for a person"}, actor="t")
    assert ids(assorted.list_tasks(TaskQuery(held=True))) == ["ov-chore"]
    assert "ov-chore" not in ids(assorted.list_tasks(TaskQuery(held=False)))
    assert assorted.count_tasks(TaskQuery(held=True)) == 1
    assert ids(assorted.list_tasks(TaskQuery(held=True, statuses=(TaskStatus.DONE,)))) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(TaskQuery(offset=1, limit=2), ["ov-epic", "ov-feat"], id="page"),
        pytest.param(TaskQuery(offset=3), ["ov-done", "ov-chore"], id="offset-without-limit"),
        pytest.param(TaskQuery(offset=5, limit=2), [], id="past-the-end"),
        pytest.param(TaskQuery(label="backend", offset=1, limit=5), ["ov-feat"], id="offset-after-label"),
        pytest.param(TaskQuery(label="backend", include_deleted=True, offset=1, limit=1), ["ov-feat"], id="label-page"),
        pytest.param(TaskQuery(kind="chore", offset=1), [], id="offset-after-kind"),
    ],
)
def test_listing_with_an_offset_skips_that_many_matching_tasks_in_order(assorted: TaskStore, query: TaskQuery,
                                                                         expected: list[str]) -> None:
    assert ids(assorted.list_tasks(query)) == expected


def test_paging_through_the_list_returns_every_task_once_in_order(assorted: TaskStore) -> None:
    pages = [ids(assorted.list_tasks(TaskQuery(include_deleted=True, offset=o, limit=2))) for o in (0, 2, 4, 6)]
    assert pages == [["ov-bug", "ov-epic"], ["ov-feat", "ov-done"], ["ov-gone", "ov-chore"], []]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(TaskQuery(), 5, id="all-but-deleted"),
        pytest.param(TaskQuery(include_deleted=True), 6, id="with-deleted"),
        pytest.param(TaskQuery(statuses=(TaskStatus.OPEN,)), 4, id="status"),
        pytest.param(TaskQuery(kind="bug"), 1, id="kind"),
        pytest.param(TaskQuery(label="backend"), 2, id="label"),
        pytest.param(TaskQuery(label="backend", include_deleted=True), 3, id="label-with-deleted"),
        pytest.param(TaskQuery(parent="ov-epic"), 2, id="parent"),
        pytest.param(TaskQuery(limit=1, offset=3), 5, id="page-ignored"),
        pytest.param(TaskQuery(label="backend", limit=1, offset=1), 2, id="label-page-ignored"),
        pytest.param(TaskQuery(statuses=(TaskStatus.RUNNING,)), 0, id="none"),
    ],
)
def test_counting_tasks_counts_what_listing_would_return_without_the_page(assorted: TaskStore, query: TaskQuery,
                                                                          expected: int) -> None:
    assert assorted.count_tasks(query) == expected
    assert len(assorted.list_tasks(TaskQuery(**{**query.__dict__, "limit": None, "offset": 0}))) == expected


@pytest.mark.parametrize("field", ["offset", "limit"])
def test_a_negative_offset_or_limit_is_refused_naming_it(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        TaskQuery(**{field: -1})
    assert info.value.field == field


def test_status_counts_give_tasks_per_status_without_the_deleted_ones(assorted: TaskStore) -> None:
    assert assorted.status_counts() == {"open": 4, "done": 1}


def test_status_counts_of_an_empty_store_are_empty(store: TaskStore) -> None:
    assert store.status_counts() == {}
    assert store.count_tasks() == 0


# -- update ----------------------------------------------------------------------------------------
def test_updating_a_task_changes_the_fields_bumps_the_version_and_logs_the_fields(
    store: TaskStore, new_task: NewTask, clock: Any
) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    clock.advance(5)
    updated = store.update_task(
        "ov-1", {"title": "better", "labels": ["x", "y"], "work_type": "planning", "budget": {"max_attempts": 7}}, actor="bob"
    )
    assert (updated.title, updated.labels, updated.work_type, updated.budget.max_attempts) == ("better", ("x", "y"), WorkType.PLANNING, 7)
    assert (updated.version, updated.updated_at) == (2, clock())
    assert store.get_task("ov-1") == updated
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.actor) == ("task.updated", "ov-1", "bob")
    assert last.data == {"fields": ["budget", "labels", "title", "work_type"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority": 7}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"title": "   "}, "title"),
        ({"title": 3}, "title"),
        ({"labels": "backend"}, "labels"),
        ({"labels": ["ok", 3]}, "labels"),
        ({"work_type": "dancing"}, "work_type"),
        ({"complexity": "epic"}, "complexity"),
        ({"kind": ""}, "kind"),
        ({"attempts": -1}, "attempts"),
        ({"extra": ["not", "a", "mapping"]}, "extra"),
        ({"status": "done"}, "status"),
        ({"claimed_by": "mallory"}, "claimed_by"),
        ({"title": "fine", "priority": 9}, "priority"),
    ],
    ids=lambda v: v if isinstance(v, str) else "+".join(v),
)
def test_an_invalid_update_names_the_field_and_changes_nothing(
    store: TaskStore, new_task: NewTask, changes: dict[str, Any], field: str
) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    before = everything(store)
    with pytest.raises(ValidationError) as info:
        store.update_task("ov-1", changes, actor="bob")
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")
    assert everything(store) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hold": 5}, "hold"),
        ({"profile": 7}, "profile"),
        ({"profile": "p" * 129}, "profile"),
        ({"kind": "k" * 65}, "kind"),
        ({"attempts": True}, "attempts"),
        ({"budget": {"max_attempts": "x"}}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"budget": {"max_cost_usd": "cheap"}}, "budget"),
    ],
    ids=["hold-int", "profile-int", "profile-too-long", "kind-too-long", "attempts-bool", "budget-attempts-text", "budget-text",
         "budget-cost-text"],
)
def test_an_update_the_tables_cannot_hold_is_refused_as_a_validation_error(
    store: TaskStore, new_task: NewTask, changes: dict[str, Any], field: str
) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    before = everything(store)
    with pytest.raises(ValidationError) as info:
        store.update_task("ov-1", changes, actor="bob")
    assert info.value.field == field
    assert everything(store) == before


# -- status ----------------------------------------------------------------------------------------
def test_closing_a_task_stamps_when_and_why_and_reopening_clears_both(store: TaskStore, new_task: NewTask, clock: Any) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    clock.advance(60)
    done = store.set_status("ov-1", TaskStatus.DONE, actor="bob", reason="shipped")
    assert (done.status, done.closed_at, done.close_reason, done.version) == (TaskStatus.DONE, clock(), "shipped", 2)
    reopened = store.set_status("ov-1", TaskStatus.OPEN, actor="bob")
    assert (reopened.status, reopened.closed_at, reopened.close_reason, reopened.version) == (TaskStatus.OPEN, None, None, 3)
    assert store.get_task("ov-1") == reopened
    assert [e.data for e in store.events()[1:]] == [
        {"from": "open", "to": "done", "reason": "shipped"},
        {"from": "done", "to": "open", "reason": None},
    ]


def test_an_illegal_status_move_lists_the_allowed_ones_and_changes_nothing(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    before = everything(store)
    with pytest.raises(TransitionError) as info:
        store.set_status("ov-1", TaskStatus.VERIFYING, actor="bob")
    allowed = sorted(s.value for s in allowed_from(TaskStatus.OPEN))
    assert (info.value.task_id, info.value.current, info.value.target) == ("ov-1", "open", "verifying")
    assert str(info.value).endswith(f"(from open it may go to: {', '.join(allowed)})")
    assert everything(store) == before


def test_a_deleted_task_can_only_be_reopened(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.set_status("ov-1", TaskStatus.DELETED, actor="alice")
    with pytest.raises(TransitionError, match="may go to: open"):
        store.set_status("ov-1", TaskStatus.DONE, actor="alice")
    assert store.set_status("ov-1", TaskStatus.OPEN, actor="alice").status == TaskStatus.OPEN


def test_a_task_walks_the_happy_path_from_open_to_done(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    for status in (TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING, TaskStatus.AWAITING_APPROVAL, TaskStatus.DONE):
        store.set_status("ov-1", status, actor="alice")
    assert store.get_task("ov-1").status == TaskStatus.DONE
    assert [e.data["to"] for e in store.events()[1:]] == ["claimed", "running", "verifying", "awaiting_approval", "done"]


# -- events ----------------------------------------------------------------------------------------
def test_every_change_appends_events_in_order_with_kind_task_and_actor(store: TaskStore, new_task: NewTask, clock: Any) -> None:
    store.add_task(new_task("ov-a"), actor="alice")
    store.add_task(new_task("ov-b"), actor="alice")
    clock.advance(1)
    store.add_dependency(Dependency("ov-b", "ov-a"), actor="bob")
    store.update_task("ov-b", {"notes": "n"}, actor="carol")
    store.set_status("ov-a", TaskStatus.DONE, actor="dave")
    store.claim("ov-b", "worker-1", 60)
    store.release("ov-b", "worker-1", actor="eve")
    store.remove_dependency("ov-b", "ov-a", "blocks", actor="frank")
    found = store.events()
    assert [(e.kind, e.task_id, e.actor) for e in found] == [
        ("task.created", "ov-a", "alice"),
        ("task.created", "ov-b", "alice"),
        ("dep.added", "ov-b", "bob"),
        ("task.updated", "ov-b", "carol"),
        ("task.status", "ov-a", "dave"),
        ("task.claimed", "ov-b", "worker-1"),
        ("task.released", "ov-b", "eve"),
        ("dep.removed", "ov-b", "frank"),
    ]
    assert [e.seq for e in found] == list(range(1, 9))
    assert [e.at for e in found] == [clock() - timedelta(seconds=1)] * 2 + [clock()] * 6
    assert found[2].data == {"depends_on": "ov-a", "type": "blocks"}


def test_events_page_by_sequence_and_filter_by_task(store: TaskStore, new_task: NewTask) -> None:
    for n in range(5):
        store.add_task(new_task(f"ov-{n}"), actor="alice")
    store.update_task("ov-1", {"notes": "again"}, actor="alice")
    assert [e.seq for e in store.events(after_seq=2, limit=2)] == [3, 4]
    assert [e.seq for e in store.events(after_seq=4)] == [5, 6]
    assert [(e.seq, e.kind) for e in store.events(task_id="ov-1")] == [(2, "task.created"), (6, "task.updated")]
    assert [e.seq for e in store.events(after_seq=2, task_id="ov-1")] == [6]
    assert store.events(after_seq=6) == []
