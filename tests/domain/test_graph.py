"""Pure graph rules: loops, blocking, ready work and epic completion, without any store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from overseer.domain import Dependency, Task, TaskStatus
from overseer.domain.graph import blocked_ids, children_of, epic_complete, find_cycle, gating_edges, is_claimable, ready_tasks

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def task(task_id: str, age: int = 0, **fields: object) -> Task:
    return Task(id=task_id, title=task_id, created_at=NOW - timedelta(hours=1) + timedelta(seconds=age), **fields)  # type: ignore[arg-type]


def graph(*tasks: Task) -> dict[str, Task]:
    return {t.id: t for t in tasks}


def walks_only(path: list[str], edges: set[tuple[str, str]]) -> bool:
    return path[0] == path[-1] and set(pairwise(path)) <= edges


# -- find_cycle ------------------------------------------------------------------------------------
def test_a_graph_without_a_loop_has_no_cycle() -> None:
    assert find_cycle([("b", "a"), ("c", "b"), ("c", "a"), ("d", "c")]) is None
    assert find_cycle([]) is None


@pytest.mark.parametrize(
    "edges",
    [
        [("a", "b"), ("b", "a")],
        [("a", "b"), ("b", "c"), ("c", "a")],
        [("x", "a"), ("a", "b"), ("b", "c"), ("c", "b")],  # the loop does not pass through where the search starts
        [("a", "b"), ("a", "c"), ("c", "d"), ("d", "e"), ("e", "c")],
        [("a", "a")],
    ],
)
def test_a_loop_is_reported_as_a_path_that_returns_to_its_start_over_real_edges(edges: list[tuple[str, str]]) -> None:
    path = find_cycle(edges)
    assert path is not None
    assert walks_only(path, set(edges)), path


def test_a_loop_path_is_the_loop_alone_without_the_approach() -> None:
    assert find_cycle([("x", "a"), ("a", "b"), ("b", "c"), ("c", "b")]) == ["b", "c", "b"]


def test_a_new_edge_that_would_close_a_loop_is_answered_with_the_loop_starting_at_its_source() -> None:
    edges = [("b", "a"), ("c", "b"), ("z", "a")]
    path = find_cycle(edges, ("a", "c"))
    assert path == ["a", "c", "b", "a"]


def test_a_new_edge_that_closes_no_loop_is_answered_with_none() -> None:
    edges = [("b", "a"), ("c", "b")]
    assert find_cycle(edges, ("c", "a")) is None
    assert find_cycle(edges, ("d", "c")) is None
    assert find_cycle([], ("a", "b")) is None


def test_a_new_edge_from_a_task_to_itself_is_a_loop_of_one() -> None:
    assert find_cycle([], ("a", "a")) == ["a", "a"]


def test_a_new_edge_ignores_a_loop_it_is_not_part_of() -> None:
    assert find_cycle([("x", "y"), ("y", "x")], ("a", "b")) is None


def test_only_blocks_and_parent_child_edges_are_gating() -> None:
    deps = [Dependency("b", "a", "blocks"), Dependency("c", "a", "parent-child"), Dependency("d", "a", "related"),
            Dependency("e", "a", "discovered-from"), Dependency("f", "a", "waits-for")]
    assert gating_edges(deps) == [("b", "a"), ("c", "a")]


# -- blocked_ids -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "blocked"),
    [(s, s not in (TaskStatus.DONE, TaskStatus.DELETED)) for s in TaskStatus],
    ids=[s.value for s in TaskStatus],
)
def test_a_blocks_target_blocks_unless_it_is_done_or_deleted(status: TaskStatus, blocked: bool) -> None:
    tasks = graph(task("a", status=status), task("b"))
    assert blocked_ids(tasks, [Dependency("b", "a")]) == ({"b"} if blocked else set())


def test_a_blocks_target_that_does_not_exist_blocks_nothing() -> None:
    assert blocked_ids(graph(task("b")), [Dependency("b", "gone")]) == set()


def test_blocking_flows_down_parent_child_edges_to_every_descendant_and_no_further() -> None:
    tasks = graph(task("gate"), task("epic", kind="epic"), task("sub", kind="epic"), task("leaf"), task("other"), task("peer"))
    deps = [
        Dependency("epic", "gate"),
        Dependency("sub", "epic", "parent-child"),
        Dependency("leaf", "sub", "parent-child"),
        Dependency("other", "leaf", "related"),
        Dependency("leaf", "peer", "parent-child"),  # a second, unblocked parent changes nothing
    ]
    assert blocked_ids(tasks, deps) == {"epic", "sub", "leaf"}


def test_a_blocked_child_does_not_block_its_parent() -> None:
    tasks = graph(task("gate"), task("parent"), task("child"))
    assert blocked_ids(tasks, [Dependency("child", "parent", "parent-child"), Dependency("child", "gate")]) == {"child"}


def test_blocking_through_a_parent_child_loop_still_ends() -> None:
    tasks = graph(task("gate"), task("a"), task("b"))
    deps = [Dependency("a", "gate"), Dependency("b", "a", "parent-child"), Dependency("a", "b", "parent-child")]
    assert blocked_ids(tasks, deps) == {"a", "b"}


# -- ready -----------------------------------------------------------------------------------------
def test_ready_work_is_ordered_by_priority_then_age_then_id() -> None:
    tasks = graph(task("p2-new", age=9), task("p2-old", age=1), task("p0", age=5, priority=0), task("p4", priority=4),
                  task("tie-b", age=3), task("tie-a", age=3))
    assert [t.id for t in ready_tasks(tasks, [], NOW)] == ["p0", "p2-old", "tie-a", "tie-b", "p2-new", "p4"]


def test_ready_work_leaves_out_epics_unknown_kinds_held_closed_and_blocked_tasks() -> None:
    tasks = graph(
        task("ok"),
        task("epic", kind="epic"),
        task("spike", kind="spike"),
        task("held", hold="approval"),
        task("done", status=TaskStatus.DONE),
        task("running", status=TaskStatus.RUNNING),
        task("blocked"),
    )
    assert [t.id for t in ready_tasks(tasks, [Dependency("blocked", "running")], NOW)] == ["ok"]


@pytest.mark.parametrize(("lease_left", "claimable"), [(-1, True), (0, False), (1, False)])
def test_a_claimed_task_becomes_claimable_again_only_once_its_lease_is_past(lease_left: int, claimable: bool) -> None:
    claimed = task("a", status=TaskStatus.CLAIMED, claimed_by="w", lease_expires_at=NOW + timedelta(microseconds=lease_left))
    assert is_claimable(claimed, NOW) is claimable
    assert [t.id for t in ready_tasks(graph(claimed), [], NOW)] == (["a"] if claimable else [])


def test_a_claimed_task_without_a_lease_is_never_claimable() -> None:
    assert is_claimable(task("a", status=TaskStatus.CLAIMED, claimed_by="w"), NOW) is False


# -- epics -----------------------------------------------------------------------------------------
def test_children_of_lists_parent_child_edges_only() -> None:
    deps = [Dependency("a", "epic", "parent-child"), Dependency("b", "epic", "blocks"), Dependency("c", "epic", "parent-child"),
            Dependency("epic", "d", "parent-child")]
    assert children_of("epic", deps) == ["a", "c"]


@pytest.mark.parametrize(
    ("statuses", "complete"),
    [
        ([], False),
        ([TaskStatus.DONE], True),
        ([TaskStatus.DONE, TaskStatus.OPEN], False),
        ([TaskStatus.DONE, TaskStatus.DELETED], True),
        ([TaskStatus.DELETED], False),
        ([TaskStatus.DONE, TaskStatus.CANCELLED], False),
    ],
    ids=["no-children", "all-done", "one-open", "deleted-ignored", "only-deleted", "cancelled-counts"],
)
def test_an_epic_is_complete_when_it_has_live_children_and_all_are_done(statuses: list[TaskStatus], complete: bool) -> None:
    assert epic_complete([task(f"c{n}", status=s) for n, s in enumerate(statuses)]) is complete
