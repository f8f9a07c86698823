"""The TaskStore contract, part two: dependencies, cycles, ready work, epic roll-up and import.

The rule under test (from the spec): a task is ready when its status is open, its kind is work, it is
not claimed or held by an approval gate, and it is not blocked. It is blocked by a ``blocks`` dependency
on a task that exists and is not done, or by a blocked parent-child ancestor, however far up.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest

from overseer.domain import CycleError, Dependency, DependencyError, Task, TaskNotFound, TaskStatus
from overseer.ports import TaskQuery, TaskStore

NewTask = Callable[..., Task]


def ready_ids(store: TaskStore) -> list[str]:
    return [t.id for t in store.ready()]


def add(store: TaskStore, new_task: NewTask, *task_ids: str, **fields: object) -> None:
    for task_id in task_ids:
        store.add_task(new_task(task_id, **fields), actor="t")


def link(store: TaskStore, task_id: str, depends_on: str, dep_type: str = "blocks") -> None:
    store.add_dependency(Dependency(task_id, depends_on, dep_type), actor="t")


def everything(store: TaskStore) -> tuple[list[Task], list[Dependency], int]:
    return store.list_tasks(TaskQuery(include_deleted=True)), store.dependencies(), len(store.events(limit=10_000))


# -- what is work ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["task", "bug", "feature", "chore", "review", "plan"])
def test_an_open_unblocked_task_of_every_work_kind_is_ready(store: TaskStore, new_task: NewTask, kind: str) -> None:
    add(store, new_task, "ov-1", kind=kind)
    assert ready_ids(store) == ["ov-1"]


@pytest.mark.parametrize("kind", ["epic", "spike", "message"])
def test_epics_and_imported_kinds_are_never_ready(store: TaskStore, new_task: NewTask, kind: str) -> None:
    add(store, new_task, "ov-1", kind=kind)
    assert ready_ids(store) == []


@pytest.mark.parametrize("status", [s for s in TaskStatus if s not in (TaskStatus.OPEN, TaskStatus.CLAIMED)])
def test_a_task_that_is_not_open_is_not_ready(store: TaskStore, new_task: NewTask, status: TaskStatus) -> None:
    store.import_graph([new_task("ov-1", status=status)], [], actor="t")
    assert ready_ids(store) == []


def test_a_task_held_by_an_approval_gate_is_not_ready_until_the_hold_is_lifted(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-1", hold="approval:plan")
    assert ready_ids(store) == []
    store.update_task("ov-1", {"hold": None}, actor="approver")
    assert ready_ids(store) == ["ov-1"]


def test_ready_work_is_ordered_by_priority_then_age_and_honours_the_limit(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-old-p2", priority=2)
    add(store, new_task, "ov-p3", priority=3)
    add(store, new_task, "ov-new-p2", priority=2)
    add(store, new_task, "ov-p0", priority=0)
    assert ready_ids(store) == ["ov-p0", "ov-old-p2", "ov-new-p2", "ov-p3"]
    assert [t.id for t in store.ready(limit=2)] == ["ov-p0", "ov-old-p2"]


def test_ready_returns_whole_tasks_equal_to_what_get_returns(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-1", labels=("a",), extra={"k": [1, 2]})
    assert store.ready() == [store.get_task("ov-1")]


# -- blocking --------------------------------------------------------------------------------------
def test_a_blocks_dependency_on_an_unfinished_task_blocks_until_it_is_done(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-first", "ov-second")
    link(store, "ov-second", "ov-first")
    assert ready_ids(store) == ["ov-first"]
    store.set_status("ov-first", TaskStatus.DONE, actor="t")
    assert ready_ids(store) == ["ov-second"]


@pytest.mark.parametrize(
    ("status", "blocks"),
    [
        (TaskStatus.CLAIMED, True),
        (TaskStatus.RUNNING, True),
        (TaskStatus.FAILED, True),
        (TaskStatus.CANCELLED, True),
        (TaskStatus.ON_HOLD, True),
        (TaskStatus.DONE, False),
        (TaskStatus.DELETED, False),
    ],
)
def test_a_blocker_stops_blocking_only_when_done_or_deleted(store: TaskStore, new_task: NewTask, status: TaskStatus, blocks: bool) -> None:
    store.import_graph([new_task("ov-blocker", status=status), new_task("ov-waiting")], [Dependency("ov-waiting", "ov-blocker")], actor="t")
    assert ready_ids(store) == ([] if blocks else ["ov-waiting"])


def test_a_blocks_dependency_on_a_task_that_does_not_exist_blocks_nothing(store: TaskStore, new_task: NewTask) -> None:
    store.import_graph([new_task("ov-1")], [Dependency("ov-1", "bd-missing", "blocks")], actor="t")
    assert [d.key for d in store.dependencies()] == [("ov-1", "bd-missing", "blocks")]
    assert ready_ids(store) == ["ov-1"]


@pytest.mark.parametrize("dep_type", ["related", "discovered-from", "waits-for", "duplicates"])
def test_dependencies_other_than_blocks_and_parent_child_never_block(store: TaskStore, new_task: NewTask, dep_type: str) -> None:
    add(store, new_task, "ov-a", "ov-b")
    link(store, "ov-b", "ov-a", dep_type)
    assert ready_ids(store) == ["ov-a", "ov-b"]


def test_a_child_of_an_unblocked_epic_is_ready(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-child")
    link(store, "ov-child", "ov-epic", "parent-child")
    assert ready_ids(store) == ["ov-child"]


def test_a_blocked_ancestor_blocks_every_descendant_several_levels_down(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-gate", "ov-leaf", "ov-sibling")
    add(store, new_task, "ov-epic", "ov-sub", kind="epic")
    link(store, "ov-sub", "ov-epic", "parent-child")
    link(store, "ov-leaf", "ov-sub", "parent-child")
    link(store, "ov-epic", "ov-gate")
    assert ready_ids(store) == ["ov-gate", "ov-sibling"]
    store.set_status("ov-gate", TaskStatus.DONE, actor="t")
    assert ready_ids(store) == ["ov-leaf", "ov-sibling"]


def test_a_blocked_task_does_not_block_its_blocked_dependents_parent(store: TaskStore, new_task: NewTask) -> None:
    """Blocking runs down parent-child edges only: a blocked child does not block its parent or siblings."""
    add(store, new_task, "ov-parent", "ov-child", "ov-sibling", "ov-gate")
    link(store, "ov-child", "ov-parent", "parent-child")
    link(store, "ov-sibling", "ov-parent", "parent-child")
    link(store, "ov-child", "ov-gate")
    assert ready_ids(store) == ["ov-parent", "ov-sibling", "ov-gate"]


def test_removing_a_blocking_dependency_unblocks_and_removing_it_twice_is_refused(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a", "ov-b")
    link(store, "ov-b", "ov-a")
    store.remove_dependency("ov-b", "ov-a", "blocks", actor="t")
    assert ready_ids(store) == ["ov-a", "ov-b"]
    before = everything(store)
    with pytest.raises(DependencyError, match="ov-b has no blocks dependency on ov-a"):
        store.remove_dependency("ov-b", "ov-a", "blocks", actor="t")
    assert everything(store) == before


def test_dependencies_are_listed_for_either_end(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a", "ov-b", "ov-c")
    link(store, "ov-b", "ov-a")
    link(store, "ov-c", "ov-b", "related")
    assert [d.key for d in store.dependencies("ov-b")] == [("ov-b", "ov-a", "blocks"), ("ov-c", "ov-b", "related")]
    assert [d.key for d in store.dependencies("ov-a")] == [("ov-b", "ov-a", "blocks")]
    assert len(store.dependencies()) == 2


# -- refused dependencies --------------------------------------------------------------------------
def test_a_dependency_on_an_unknown_task_is_refused(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a")
    before = everything(store)
    with pytest.raises(TaskNotFound):
        link(store, "ov-a", "ov-ghost")
    with pytest.raises(TaskNotFound):
        link(store, "ov-ghost", "ov-a")
    assert everything(store) == before


def test_a_task_cannot_depend_on_itself(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a")
    before = everything(store)
    with pytest.raises(DependencyError, match="cannot depend on itself"):
        link(store, "ov-a", "ov-a", "related")
    assert everything(store) == before


def test_the_same_dependency_twice_is_refused_but_another_type_between_the_same_tasks_is_not(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a", "ov-b")
    link(store, "ov-b", "ov-a")
    before = everything(store)
    with pytest.raises(DependencyError, match="already depends"):
        link(store, "ov-b", "ov-a")
    assert everything(store) == before
    link(store, "ov-b", "ov-a", "related")
    assert len(store.dependencies()) == 2


def assert_is_loop(path: tuple[str, ...], edges: set[tuple[str, str]]) -> None:
    assert len(path) >= 2
    assert path[0] == path[-1]
    assert set(pairwise(path)) <= edges, f"{path} walks an edge that is not in the graph"


@pytest.mark.parametrize(
    ("chain", "closing"),
    [
        pytest.param([("ov-b", "ov-a", "blocks")], ("ov-a", "ov-b", "blocks"), id="two-blocks"),
        pytest.param([("ov-b", "ov-a", "blocks"), ("ov-c", "ov-b", "blocks")], ("ov-a", "ov-c", "blocks"), id="three-blocks"),
        pytest.param([("ov-b", "ov-a", "parent-child")], ("ov-a", "ov-b", "parent-child"), id="two-parent-child"),
        pytest.param([("ov-b", "ov-a", "parent-child"), ("ov-c", "ov-b", "blocks")], ("ov-a", "ov-c", "parent-child"), id="mixed"),
        pytest.param([("ov-b", "ov-a", "blocks"), ("ov-c", "ov-b", "parent-child"), ("ov-d", "ov-c", "blocks")],
                     ("ov-a", "ov-d", "blocks"), id="four-mixed"),
    ],
)
def test_a_gating_dependency_that_closes_a_loop_is_refused_with_the_loop_and_nothing_changes(
    store: TaskStore, new_task: NewTask, chain: list[tuple[str, str, str]], closing: tuple[str, str, str]
) -> None:
    add(store, new_task, "ov-a", "ov-b", "ov-c", "ov-d", "ov-e")
    link(store, "ov-e", "ov-a", "blocks")  # a branch off the loop, which the reported path must not wander into
    for edge in chain:
        link(store, *edge)
    before = everything(store)
    with pytest.raises(CycleError) as info:
        link(store, *closing)
    edges = {(a, b) for a, b, _ in [*chain, closing]}
    assert_is_loop(info.value.path, edges)
    assert info.value.path[0] == closing[0]
    assert " -> ".join(info.value.path) in str(info.value)
    assert everything(store) == before


def test_related_edges_may_go_round_in_a_loop(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a", "ov-b")
    link(store, "ov-b", "ov-a")
    link(store, "ov-a", "ov-b", "related")
    link(store, "ov-b", "ov-a", "discovered-from")
    assert len(store.dependencies()) == 3


def test_a_new_task_may_both_wait_on_and_be_a_child_of_the_same_task(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a")
    store.add_task(new_task("ov-b"), [Dependency("ov-b", "ov-a"), Dependency("ov-b", "ov-a", "parent-child")], actor="t")
    assert ready_ids(store) == ["ov-a"]


def test_adding_a_task_whose_dependencies_close_a_loop_through_an_existing_task_adds_nothing(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-a")
    before = everything(store)
    with pytest.raises(CycleError) as info:
        store.add_task(new_task("ov-new"), [Dependency("ov-new", "ov-a"), Dependency("ov-a", "ov-new", "parent-child")], actor="t")
    assert_is_loop(info.value.path, {("ov-new", "ov-a"), ("ov-a", "ov-new")})
    assert everything(store) == before


# -- epic roll-up ----------------------------------------------------------------------------------
def test_an_epic_closes_when_its_last_child_is_done_and_says_so_in_the_log(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-1", "ov-2")
    link(store, "ov-1", "ov-epic", "parent-child")
    link(store, "ov-2", "ov-epic", "parent-child")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")
    assert store.get_task("ov-epic").status == TaskStatus.OPEN
    store.set_status("ov-2", TaskStatus.DONE, actor="w")
    epic = store.get_task("ov-epic")
    assert (epic.status, epic.close_reason) == (TaskStatus.DONE, "all children done")
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.actor, last.data) == ("epic.closed", "ov-epic", "w", {"children": 2})


def test_an_epic_with_an_integration_branch_goes_to_verifying_not_done_when_its_children_land(
    store: TaskStore, new_task: NewTask
) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-1")
    link(store, "ov-1", "ov-epic", "parent-child")
    store.update_task("ov-epic", {"branch": "overseer/epic/ov-epic", "gates": ["land"]}, actor="w")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")
    epic = store.get_task("ov-epic")
    assert (epic.status, epic.branch, epic.gates) == (TaskStatus.VERIFYING, "overseer/epic/ov-epic", ("land",))
    assert epic.closed_at is None and "epic review and merge next" in (epic.close_reason or "")
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.data) == ("epic.completed", "ov-epic", {"children": 1})
    store.set_status("ov-1", TaskStatus.OPEN, actor="w")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")  # done again: the epic is already past the roll-up
    assert store.get_task("ov-epic").status == TaskStatus.VERIFYING


def test_nested_epics_roll_up_one_after_the_other(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-top", "ov-mid", kind="epic")
    add(store, new_task, "ov-leaf", "ov-other")
    link(store, "ov-mid", "ov-top", "parent-child")
    link(store, "ov-leaf", "ov-mid", "parent-child")
    link(store, "ov-other", "ov-top", "parent-child")
    store.set_status("ov-other", TaskStatus.DONE, actor="w")
    assert store.get_task("ov-top").status == TaskStatus.OPEN
    store.set_status("ov-leaf", TaskStatus.DONE, actor="w")
    assert [t.status for t in (store.get_task("ov-mid"), store.get_task("ov-top"))] == [TaskStatus.DONE, TaskStatus.DONE]
    assert [(e.kind, e.task_id) for e in store.events()[-3:]] == [
        ("task.status", "ov-leaf"), ("epic.closed", "ov-mid"), ("epic.closed", "ov-top"),
    ]


def test_deleted_children_do_not_hold_an_epic_open(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-1", "ov-2")
    link(store, "ov-1", "ov-epic", "parent-child")
    link(store, "ov-2", "ov-epic", "parent-child")
    store.set_status("ov-2", TaskStatus.DELETED, actor="w")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")
    assert store.get_task("ov-epic").status == TaskStatus.DONE


def test_deleting_the_last_unfinished_child_closes_the_epic(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-1", "ov-2")
    link(store, "ov-1", "ov-epic", "parent-child")
    link(store, "ov-2", "ov-epic", "parent-child")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")
    store.set_status("ov-2", TaskStatus.DELETED, actor="w")
    assert store.get_task("ov-epic").status == TaskStatus.DONE
    assert [(e.kind, e.task_id, e.data) for e in store.events()[-2:]] == [
        ("task.status", "ov-2", {"from": "open", "to": "deleted", "reason": None}), ("epic.closed", "ov-epic", {"children": 2}),
    ]


def test_deleting_every_child_leaves_the_epic_open(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-1")
    link(store, "ov-1", "ov-epic", "parent-child")
    store.set_status("ov-1", TaskStatus.DELETED, actor="w")
    assert store.get_task("ov-epic").status == TaskStatus.OPEN


def test_a_parent_that_is_not_an_epic_does_not_close_by_itself(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-feature", kind="feature")
    add(store, new_task, "ov-1")
    link(store, "ov-1", "ov-feature", "parent-child")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")
    assert store.get_task("ov-feature").status == TaskStatus.OPEN
    assert "epic.closed" not in [e.kind for e in store.events()]


def test_a_cancelled_child_keeps_its_epic_open(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "ov-epic", kind="epic")
    add(store, new_task, "ov-1", "ov-2")
    link(store, "ov-1", "ov-epic", "parent-child")
    link(store, "ov-2", "ov-epic", "parent-child")
    store.set_status("ov-2", TaskStatus.CANCELLED, actor="w")
    store.set_status("ov-1", TaskStatus.DONE, actor="w")
    assert store.get_task("ov-epic").status == TaskStatus.OPEN


# -- import ----------------------------------------------------------------------------------------
def test_importing_a_graph_creates_and_updates_tasks_and_counts_them(store: TaskStore, new_task: NewTask) -> None:
    add(store, new_task, "bd-1", title="old title")
    summary = store.import_graph(
        [new_task("bd-1", title="new title"), new_task("bd-2"), new_task("bd-3")],
        [Dependency("bd-2", "bd-1"), Dependency("bd-3", "bd-2", "related")],
        actor="importer",
    )
    assert (summary.created, summary.updated, summary.dependencies) == (2, 1, 2)
    assert store.get_task("bd-1").title == "new title"
    assert ready_ids(store) == ["bd-1", "bd-3"]
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.actor) == ("import.beads", None, "importer")
    assert last.data == {"created": 2, "updated": 1, "dependencies": 2}


def test_importing_the_same_graph_again_creates_nothing_and_adds_no_dependencies(store: TaskStore, new_task: NewTask) -> None:
    graph = ([new_task("bd-1"), new_task("bd-2")], [Dependency("bd-2", "bd-1")])
    store.import_graph(*graph, actor="importer")
    again = store.import_graph(*graph, actor="importer")
    assert (again.created, again.updated, again.dependencies) == (0, 2, 0)
    assert len(store.dependencies()) == 1


@pytest.mark.parametrize(
    "deps",
    [
        pytest.param([Dependency("bd-1", "bd-2"), Dependency("bd-2", "bd-1")], id="within-the-import"),
        pytest.param([Dependency("bd-1", "ov-a", "parent-child"), Dependency("ov-b", "bd-1")], id="through-existing-tasks"),
        pytest.param([Dependency("bd-1", "bd-1")], id="self"),
    ],
)
def test_an_import_with_a_cycle_is_refused_whole(store: TaskStore, new_task: NewTask, deps: list[Dependency]) -> None:
    add(store, new_task, "ov-a", "ov-b")
    link(store, "ov-a", "ov-b")
    before = everything(store)
    with pytest.raises(CycleError) as info:
        store.import_graph([new_task("bd-1"), new_task("bd-2"), new_task("ov-a", title="changed")], deps, actor="importer")
    edges = {(d.task_id, d.depends_on) for d in deps} | {("ov-a", "ov-b")}
    assert_is_loop(info.value.path, edges)
    assert everything(store) == before


def test_is_blocked_answers_for_one_task_as_the_ready_set_does(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-epic", kind="epic"), actor="a")
    store.add_task(new_task("ov-gate"), actor="a")
    store.add_task(new_task("ov-sub", kind="epic"), [Dependency("ov-sub", "ov-epic", "parent-child")], actor="a")
    store.add_task(new_task("ov-leaf"), [Dependency("ov-leaf", "ov-sub", "parent-child")], actor="a")
    store.add_task(new_task("ov-free"), actor="a")
    assert not store.is_blocked("ov-leaf")
    store.add_dependency(Dependency("ov-epic", "ov-gate", "blocks"), actor="a")
    assert store.is_blocked("ov-leaf") and store.is_blocked("ov-epic") and not store.is_blocked("ov-free")
    assert "ov-leaf" not in ready_ids(store)
    store.set_status("ov-gate", TaskStatus.DONE, actor="a")
    assert not store.is_blocked("ov-leaf") and "ov-leaf" in ready_ids(store)
    with pytest.raises(TaskNotFound):
        store.is_blocked("ov-missing")
