"""The in-memory store and the SQL stores agree on random graphs: the same ready work, in the same order,
claimed in the same order, the same epics closed, and the same refusal when the graph has a loop.

The in-memory store computes readiness in Python (``domain.graph``); the SQL store in one recursive query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from overseer.domain import CycleError, Dependency, Task, TaskStatus, TransitionError
from overseer.ports import TaskQuery, TaskStore
from overseer.store.memory import InMemoryStore
from overseer.store.sql.store import SqlStore

STATUSES = [TaskStatus.OPEN] * 6 + [TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.DELETED]
KINDS = ["task", "task", "task", "bug", "plan", "epic", "spike"]
INFORMATIONAL = ["related", "discovered-from", "waits-for"]
MAX_TASKS = 10
BASE = datetime(2029, 6, 1, tzinfo=UTC)
Edge = tuple[int, int, str]


@st.composite
def graphs(draw: Any) -> tuple[list[dict[str, Any]], list[Edge]]:
    """Task specs and edges by index; an index past the last task is a dangling id.

    Each task may have a parent and blockers among the tasks before it (or dangling ones), so the gating
    edges form a forest with cross-links; one graph in six also gets back edges, which may close loops.
    """
    n = draw(st.integers(3, MAX_TASKS))
    specs, edges = [], set()
    for i in range(n):
        specs.append({
            "status": draw(st.sampled_from(STATUSES)),
            "kind": draw(st.sampled_from(KINDS)),
            "priority": draw(st.integers(0, 4)),
            "held": draw(st.integers(0, 7)) == 0,
            "age": draw(st.integers(0, 3)),  # few distinct ages, so ties fall through to the id
            "lease": draw(st.integers(-120, 120)),  # for claimed tasks: seconds of lease left, negative = expired
        })
        earlier_or_dangling = st.integers(0, i - 1) | st.integers(n, n + 1) if i else st.integers(n, n + 1)
        if i and draw(st.integers(0, 3)):
            edges.add((i, draw(st.integers(0, i - 1)), "parent-child"))
        edges.update((i, b, "blocks") for b in draw(st.lists(earlier_or_dangling, max_size=2)))
    any_pair = st.tuples(st.integers(0, n - 1), st.integers(0, n + 1))
    edges.update((a, b, t) for (a, b), t in draw(st.lists(st.tuples(any_pair, st.sampled_from(INFORMATIONAL)), max_size=n)) if a != b)
    if draw(st.integers(0, 5)) == 0:
        edges.update(draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["blocks", "parent-child"])),
                                   min_size=1, max_size=2)))
    return specs, sorted(edges)


def build(specs: list[dict[str, Any]], edges: list[Edge], now: Any) -> tuple[list[Task], list[Dependency]]:
    tasks = []
    for n, s in enumerate(specs):
        claimed = s["status"] == TaskStatus.CLAIMED
        tasks.append(
            Task(
                id=f"ov-{n:02d}",
                title=f"task {n}",
                kind=s["kind"],
                status=s["status"],
                priority=s["priority"],
                hold="approval" if s["held"] else None,
                claimed_by="someone" if claimed else None,
                lease_expires_at=now + timedelta(seconds=s["lease"]) if claimed else None,
                created_at=BASE + timedelta(seconds=s["age"]),
                updated_at=BASE,
            )
        )
    deps = [Dependency(f"ov-{a:02d}", f"ov-{b:02d}", t, created_at=BASE) for a, b, t in edges]
    return tasks, deps


def empty(store: SqlStore) -> None:
    with store.engine.begin() as conn:
        for table in ("events", "deps", "tasks"):
            conn.execute(sa.text(f"DELETE FROM {table}"))


def outcome(store: TaskStore, tasks: list[Task], deps: list[Dependency]) -> list[Any]:
    """What the two stores must agree on: import the graph, then finish it one task at a time, each round
    taking all ready work with ``claim_next``, noting what was ready, and closing the next task."""
    try:
        store.import_graph(tasks, deps, actor="hypothesis")
    except CycleError as err:
        return ["refused", err.path[0] == err.path[-1], store.list_tasks(TaskQuery(include_deleted=True)), store.events()]
    seen: list[Any] = []
    for task in tasks:
        ready = store.ready()
        assert store.ready(limit=2) == ready[:2]
        claimed = [t.id for t in iter(lambda: store.claim_next("worker", 60), None)]
        assert claimed == [t.id for t in ready], "claim_next must take ready work in ready order"
        try:
            store.set_status(task.id, TaskStatus.DONE, actor="hypothesis")
        except TransitionError:
            ready.append(f"{task.id} cannot be closed")
        seen.append(ready)
    events = sorted((e.kind, e.task_id or "", e.actor) for e in store.events(limit=10_000))
    return ["imported", seen, store.list_tasks(TaskQuery(include_deleted=True)), events]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=graphs())
def test_the_memory_and_sql_stores_agree_on_ready_work_claims_and_roll_up_for_random_graphs(
    sql_store: SqlStore, clock: Any, graph: Any
) -> None:
    specs, edges = graph
    tasks, deps = build(specs, edges, clock())
    empty(sql_store)
    expected = outcome(InMemoryStore(clock), tasks, deps)
    assert outcome(sql_store, tasks, deps) == expected
    first_ready = len(expected[1][0]) if expected[0] == "imported" else 0
    event("refused: loop" if expected[0] == "refused" else f"ready at first: {min(first_ready, 3)}{'+' if first_ready >= 3 else ''}")
