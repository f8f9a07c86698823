"""Spawned processes that start a race together: a pool whose workers share one barrier, for the race tests."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

_barrier: Any = None  # set in each racing process by ``_join_race``


def _join_race(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def start_line(timeout: float = 60) -> None:
    """In a racing process: wait until every process of the pool is here."""
    _barrier.wait(timeout=timeout)


@contextmanager
def racing_pool(processes: int) -> Iterator[ProcessPoolExecutor]:
    """``processes`` spawned workers whose ``start_line()`` lets them go together; reusable for several races."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx, initializer=_join_race, initargs=(ctx.Barrier(processes),)) as pool:
        yield pool
