"""Acquiring is atomic: 50 dispatches race for the last 3 slots of a window and exactly 3 get one, never more,
with threads on every store and with spawned processes on SQLite and PostgreSQL. A "database is locked" error
in any racer fails the test."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from tests.store.racing import racing_pool, start_line

from overseer.domain.usage import Unit, UsageEntry, Window
from overseer.store.sql.engine import make_engine
from overseer.store.sql.store import SqlStore

LIMIT = 20
FREE = 3
RACERS = 50
N_PROCESSES = 5
WINDOW = Window(LIMIT, Unit.RUNS, 5 * 3600)


def run_entry(entry_id: str, at: datetime) -> UsageEntry:
    return UsageEntry(entry_id, at, "claude", runs=1, requests=1)


def fill_all_but_the_last_slots(store: Any, at: datetime) -> None:
    for n in range(LIMIT - FREE):
        assert store.acquire(run_entry(f"use-seed-{n}", at), [WINDOW]) is not None


def assert_exactly_the_free_slots_were_taken(store: Any, won: list[str], at: datetime) -> None:
    assert len(won) == FREE, f"{len(won)} acquirers won {FREE} slots"
    assert store.window_usage("claude", WINDOW, at).used == LIMIT
    assert len(store.usage_entries()) == LIMIT
    assert set(won) <= {e.id for e in store.usage_entries()}


def race(store: Any, prefix: str, at: datetime, racers: int) -> list[str]:
    """``racers`` threads that start together and each try one acquire; the ids of the winners."""
    start = threading.Barrier(racers)

    def acquirer(n: int) -> str | None:
        start.wait(timeout=60)
        got = store.acquire(run_entry(f"use-{prefix}-{n}", at), [WINDOW])
        return None if got is None else str(got.id)

    with ThreadPoolExecutor(racers) as pool:
        return [i for i in pool.map(acquirer, range(racers)) if i is not None]


# -- threads ---------------------------------------------------------------------------------------
@pytest.mark.timeout(120)
def test_fifty_threads_racing_for_the_last_three_slots_never_overrun_the_window(store: Any, clock: Any) -> None:
    fill_all_but_the_last_slots(store, clock())
    won = race(store, "thread", clock(), RACERS)
    assert_exactly_the_free_slots_were_taken(store, won, clock())


# -- processes -------------------------------------------------------------------------------------
def race_in_process(url: str, name: str, at: datetime, racers: int) -> tuple[int, list[str]]:
    """One process: its own store on its own engine, ``racers`` threads acquiring once the other processes are ready."""
    store = SqlStore(make_engine(url))
    try:
        start_line()
        return os.getpid(), race(store, name, at, racers)
    finally:
        store.close()


@pytest.fixture(scope="module")
def racing_processes() -> Iterator[ProcessPoolExecutor]:
    with racing_pool(N_PROCESSES) as pool:
        yield pool


@pytest.mark.timeout(180)
def test_fifty_acquirers_in_five_processes_racing_for_the_last_three_slots_never_overrun_the_window(
    sql_store: SqlStore, clock: Any, racing_processes: ProcessPoolExecutor
) -> None:
    fill_all_but_the_last_slots(sql_store, clock())
    url = sql_store.engine.url.render_as_string(hide_password=False)
    per = RACERS // N_PROCESSES
    futures = [racing_processes.submit(race_in_process, url, f"proc{n}", clock(), per) for n in range(N_PROCESSES)]
    reports = [f.result(timeout=150) for f in futures]  # a racer's exception ("database is locked"...) is raised here
    assert len({pid for pid, _ in reports}) == N_PROCESSES, "every racer must be its own process"
    assert_exactly_the_free_slots_were_taken(sql_store, [i for _, won in reports for i in won], clock())
