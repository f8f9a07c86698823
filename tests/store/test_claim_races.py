"""Claims are atomic: many threads and many processes race on the same tasks, and every task is claimed
exactly once, on SQLite and on PostgreSQL (threads also on the in-memory store). Leases are long, so no
claim can expire mid-race; a "database is locked" error in any racer fails the test."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from tests.store.racing import racing_pool, start_line

from overseer.domain import Task
from overseer.ports import TaskStore
from overseer.store.sql.engine import make_engine
from overseer.store.sql.store import SqlStore

NewTask = Callable[..., Task]
N_TASKS = 60
N_THREADS = 16
N_PROCESSES = 6
LEASE = 3600.0
SHARED = "ov-shared"


def seed(store: TaskStore, new_task: NewTask) -> list[str]:
    """``N_TASKS`` ready tasks of mixed priority, plus a held task and an epic that nobody may take."""
    ids = [f"ov-{n:03d}" for n in range(N_TASKS)]
    store.import_graph(
        [new_task(i, priority=n % 5) for n, i in enumerate(ids)] + [new_task("ov-held", hold="approval"), new_task("ov-epic", kind="epic")],
        [],
        actor="seed",
    )
    return ids


def claim_all(store: TaskStore, worker: str) -> list[str]:
    taken = []
    while (task := store.claim_next(worker, LEASE)) is not None:
        assert task.claimed_by == worker
        taken.append(task.id)
    return taken


def claims_per_task(store: TaskStore) -> Counter[str | None]:
    return Counter(e.task_id for e in store.events(limit=100_000) if e.kind == "task.claimed")


def assert_each_claimed_once(store: TaskStore, ids: list[str], taken: list[str]) -> None:
    assert sorted(taken) == sorted(ids), f"claimed twice: {[i for i, n in Counter(taken).items() if n > 1]}"
    assert claims_per_task(store) == Counter(ids)
    holders = {t.id: t.claimed_by for t in store.list_tasks()}
    assert (holders["ov-held"], holders["ov-epic"]) == (None, None)


# -- threads ---------------------------------------------------------------------------------------
def test_threads_racing_claim_next_claim_every_task_exactly_once(store: TaskStore, new_task: NewTask) -> None:
    ids = seed(store, new_task)
    start = threading.Barrier(N_THREADS)

    def racer(n: int) -> list[str]:
        start.wait(timeout=30)
        return claim_all(store, f"thread-{n}")

    with ThreadPoolExecutor(N_THREADS) as pool:
        per_worker = list(pool.map(racer, range(N_THREADS)))
    assert_each_claimed_once(store, ids, [i for taken in per_worker for i in taken])
    assert store.claim_next("late", LEASE) is None


def test_threads_racing_to_claim_one_task_leave_exactly_one_winner(store: TaskStore, new_task: NewTask) -> None:
    rounds = 5
    for r in range(rounds):
        store.add_task(new_task(f"ov-{r}"), actor="seed")
    for r in range(rounds):
        start = threading.Barrier(N_THREADS)

        def racer(n: int, task_id: str = f"ov-{r}", start: threading.Barrier = start) -> Task | None:
            start.wait(timeout=30)
            return store.claim(task_id, f"thread-{n}", LEASE)

        with ThreadPoolExecutor(N_THREADS) as pool:
            results = list(pool.map(racer, range(N_THREADS)))
        winners = [t for t in results if t is not None]
        assert len(winners) == 1
        assert results.count(None) == N_THREADS - 1
        assert store.get_task(f"ov-{r}").claimed_by == winners[0].claimed_by
    assert claims_per_task(store) == Counter(f"ov-{r}" for r in range(rounds))


# -- processes -------------------------------------------------------------------------------------
def race_in_process(url: str, worker: str) -> tuple[int, bool, list[str]]:
    """One racer: its own store on its own engine, a claim on the shared task, then claim_next until nothing is left."""
    store = SqlStore(make_engine(url))
    try:
        start_line()
        won_shared = store.claim(SHARED, worker, LEASE) is not None
        start_line()
        return os.getpid(), won_shared, claim_all(store, worker)
    finally:
        store.close()


@pytest.fixture(scope="module")
def racing_processes() -> Iterator[ProcessPoolExecutor]:
    """``N_PROCESSES`` spawned processes that start each race together; shared by the SQLite and PostgreSQL runs."""
    with racing_pool(N_PROCESSES) as pool:
        yield pool


@pytest.mark.timeout(120)
def test_processes_racing_on_one_database_claim_every_task_exactly_once(
    sql_store: SqlStore, new_task: NewTask, racing_processes: ProcessPoolExecutor
) -> None:
    ids = seed(sql_store, new_task)
    sql_store.add_task(new_task(SHARED, priority=0), actor="seed")
    url = sql_store.engine.url.render_as_string(hide_password=False)
    futures = [racing_processes.submit(race_in_process, url, f"proc-{n}") for n in range(N_PROCESSES)]
    reports = [f.result(timeout=90) for f in futures]  # a racer's exception ("database is locked"...) is raised here
    assert len({pid for pid, _, _ in reports}) == N_PROCESSES, "every racer must be its own process"
    assert sum(won for _, won, _ in reports) == 1
    assert_each_claimed_once(sql_store, [*ids, SHARED], [SHARED, *(i for _, _, taken in reports for i in taken)])
