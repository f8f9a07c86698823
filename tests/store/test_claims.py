"""The TaskStore contract, part three: claims, leases, heartbeats and release, on a clock the tests move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from overseer.domain import ClaimError, Dependency, Task, TaskStatus
from overseer.ports import TaskQuery, TaskStore

NewTask = Callable[..., Task]
LEASE = 300.0


def everything(store: TaskStore) -> tuple[list[Task], list[Dependency], int]:
    return store.list_tasks(TaskQuery(include_deleted=True)), store.dependencies(), len(store.events(limit=10_000))


def claimed_events(store: TaskStore) -> list[tuple[str | None, str]]:
    return [(e.task_id, e.actor) for e in store.events(limit=10_000) if e.kind == "task.claimed"]


# -- claim -----------------------------------------------------------------------------------------
def test_the_first_claimer_gets_the_task_with_a_lease_and_the_second_gets_none(store: TaskStore, new_task: NewTask, clock: Any) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    won = store.claim("ov-1", "worker-1", LEASE)
    assert won is not None
    assert (won.status, won.claimed_by, won.version) == (TaskStatus.CLAIMED, "worker-1", 2)
    assert won.lease_expires_at == clock() + timedelta(seconds=LEASE)
    assert store.get_task("ov-1") == won
    before = everything(store)
    assert store.claim("ov-1", "worker-2", LEASE) is None
    assert everything(store) == before
    assert claimed_events(store) == [("ov-1", "worker-1")]


def test_a_claimed_task_is_no_longer_ready(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.add_task(new_task("ov-2"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    assert [t.id for t in store.ready()] == ["ov-2"]


@pytest.mark.parametrize("status", [TaskStatus.RUNNING, TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.ON_HOLD])
def test_a_task_past_open_cannot_be_claimed(store: TaskStore, new_task: NewTask, status: TaskStatus) -> None:
    store.import_graph([new_task("ov-1", status=status)], [], actor="t")
    before = everything(store)
    assert store.claim("ov-1", "worker-1", LEASE) is None
    assert everything(store) == before


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(lambda s, t: s.add_task(t("ov-1", kind="epic"), actor="a"), id="epic"),
        pytest.param(lambda s, t: s.add_task(t("ov-1", kind="spike"), actor="a"), id="imported-kind"),
        pytest.param(lambda s, t: s.add_task(t("ov-1", hold="approval:plan"), actor="a"), id="held"),
        pytest.param(lambda s, t: (s.add_task(t("ov-0"), actor="a"), s.add_task(t("ov-1"), [Dependency("ov-1", "ov-0")], actor="a")),
                     id="blocked"),
        pytest.param(lambda s, t: (s.add_task(t("ov-0"), actor="a"),
                                   s.add_task(t("ov-e", kind="epic"), [Dependency("ov-e", "ov-0")], actor="a"),
                                   s.add_task(t("ov-1"), [Dependency("ov-1", "ov-e", "parent-child")], actor="a")),
                     id="under-blocked-epic"),
    ],
)
def test_claiming_a_task_that_is_not_ready_raises_claim_error_and_changes_nothing(
    store: TaskStore, new_task: NewTask, setup: Callable[[TaskStore, NewTask], object]
) -> None:
    setup(store, new_task)
    before = everything(store)
    with pytest.raises(ClaimError, match="ov-1 is not ready"):
        store.claim("ov-1", "worker-1", LEASE)
    assert everything(store) == before


def test_an_expired_lease_lets_another_worker_claim_the_task(store: TaskStore, new_task: NewTask, clock: Any) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    clock.advance(LEASE - 1)
    assert store.claim("ov-1", "worker-2", LEASE) is None
    assert store.ready() == []
    clock.advance(2)
    assert [t.id for t in store.ready()] == ["ov-1"]
    taken = store.claim("ov-1", "worker-2", LEASE)
    assert taken is not None
    assert (taken.claimed_by, taken.lease_expires_at) == ("worker-2", clock() + timedelta(seconds=LEASE))
    assert claimed_events(store) == [("ov-1", "worker-1"), ("ov-1", "worker-2")]
    assert store.heartbeat("ov-1", "worker-1", LEASE) is False  # the first worker has lost it for good
    with pytest.raises(ClaimError):
        store.release("ov-1", "worker-1", actor="worker-1")
    assert store.get_task("ov-1") == taken


# -- heartbeat -------------------------------------------------------------------------------------
def test_a_heartbeat_from_the_holder_renews_the_lease_and_keeps_others_out(store: TaskStore, new_task: NewTask, clock: Any) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    clock.advance(LEASE - 10)
    assert store.heartbeat("ov-1", "worker-1", LEASE) is True
    assert store.get_task("ov-1").lease_expires_at == clock() + timedelta(seconds=LEASE)
    clock.advance(LEASE - 10)  # well past the first lease, inside the renewed one
    assert store.claim("ov-1", "worker-2", LEASE) is None
    assert store.claim_next("worker-2", LEASE) is None
    assert store.get_task("ov-1").claimed_by == "worker-1"


def test_a_heartbeat_from_anyone_but_the_holder_returns_false_and_renews_nothing(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    before = everything(store)
    assert store.heartbeat("ov-1", "worker-2", LEASE * 10) is False
    assert everything(store) == before


def test_a_heartbeat_on_an_unclaimed_task_returns_false(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    assert store.heartbeat("ov-1", "worker-1", LEASE) is False
    assert store.get_task("ov-1").lease_expires_at is None


@pytest.mark.parametrize(
    ("path", "renews"),
    [
        ([TaskStatus.RUNNING], True),
        ([TaskStatus.RUNNING, TaskStatus.VERIFYING], True),
        ([TaskStatus.ESCALATED], False),
        ([TaskStatus.RUNNING, TaskStatus.FAILED], False),
        ([TaskStatus.DONE], False),
    ],
    ids=lambda v: "-".join(s.value for s in v) if isinstance(v, list) else str(v),
)
def test_a_heartbeat_renews_only_while_the_holder_is_working_on_the_task(
    store: TaskStore, new_task: NewTask, path: list[TaskStatus], renews: bool
) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    for status in path:
        store.set_status("ov-1", status, actor="worker-1")
    assert store.heartbeat("ov-1", "worker-1", LEASE) is renews


# -- release ---------------------------------------------------------------------------------------
def test_release_by_the_holder_reopens_the_task_for_anyone(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    freed = store.release("ov-1", "worker-1", actor="worker-1")
    assert (freed.status, freed.claimed_by, freed.lease_expires_at, freed.version) == (TaskStatus.OPEN, None, None, 3)
    assert store.get_task("ov-1") == freed
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.actor, last.data) == ("task.released", "ov-1", "worker-1", {"worker": "worker-1"})
    assert store.claim("ov-1", "worker-2", LEASE) is not None


def test_release_by_anyone_but_the_holder_raises_claim_error_and_changes_nothing(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    store.claim("ov-1", "worker-1", LEASE)
    before = everything(store)
    with pytest.raises(ClaimError, match="not claimed by worker-2") as info:
        store.release("ov-1", "worker-2", actor="worker-2")
    assert "holder worker-1" in str(info.value)
    assert everything(store) == before


def test_releasing_a_task_nobody_claimed_raises_claim_error(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-1"), actor="alice")
    with pytest.raises(ClaimError, match="status open"):
        store.release("ov-1", "worker-1", actor="worker-1")


# -- claim_next ------------------------------------------------------------------------------------
def test_claim_next_takes_the_most_urgent_ready_task_in_turn_then_returns_none(store: TaskStore, new_task: NewTask) -> None:
    store.add_task(new_task("ov-low", priority=3), actor="a")
    store.add_task(new_task("ov-old", priority=1), actor="a")
    store.add_task(new_task("ov-new", priority=1), actor="a")
    store.add_task(new_task("ov-held", priority=0, hold="approval"), actor="a")
    store.add_task(new_task("ov-epic", priority=0, kind="epic"), actor="a")
    store.add_task(new_task("ov-blocked", priority=0), [Dependency("ov-blocked", "ov-low")], actor="a")
    taken = [store.claim_next(f"worker-{n}", LEASE) for n in range(4)]
    assert [(t.id, t.claimed_by, t.status) if t else None for t in taken] == [
        ("ov-old", "worker-0", TaskStatus.CLAIMED),
        ("ov-new", "worker-1", TaskStatus.CLAIMED),
        ("ov-low", "worker-2", TaskStatus.CLAIMED),
        None,
    ]
    assert claimed_events(store) == [("ov-old", "worker-0"), ("ov-new", "worker-1"), ("ov-low", "worker-2")]


def test_claim_next_on_an_empty_store_returns_none_and_logs_nothing(store: TaskStore) -> None:
    assert store.claim_next("worker-1", LEASE) is None
    assert store.events() == []


def test_claim_next_picks_up_a_task_whose_lease_ran_out(store: TaskStore, new_task: NewTask, clock: Any) -> None:
    store.add_task(new_task("ov-1"), actor="a")
    store.claim_next("worker-1", LEASE)
    assert store.claim_next("worker-2", LEASE) is None
    clock.advance(LEASE + 1)
    taken = store.claim_next("worker-2", LEASE)
    assert taken is not None
    assert (taken.id, taken.claimed_by, taken.version) == ("ov-1", "worker-2", 3)
