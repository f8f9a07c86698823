"""The dependency list the board's graph reads, kept between requests while the event log shows no change to it.

The store can only give every dependency at once (``TaskStore.dependencies()``: 17,000 rows take ~200 ms to read) or
one task's at a time; the graph wants the edges among up to 300 tasks on every render. So the list is read once and
reused until an event that can change it (a task created with dependencies, a dependency added or removed, an import)
appears after the sequence number it was read at."""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from overseer.domain import Dependency
from overseer.service import Supervisor

CHANGES = frozenset({"task.created", "dep.added", "dep.removed", "import.beads"})
SCAN = 2000  # events looked through for a change; more than that since the last read: read the list again


class DependencyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq: int | None = None
        self._deps: list[Dependency] = []
        self.reads = 0  # how many times the whole list was read (tests look)

    def get(self, sup: Supervisor) -> list[Dependency]:
        with self._lock:
            if self._seq is not None:
                news = sup.events(self._seq, SCAN)
                if len(news) < SCAN and not any(e.kind in CHANGES for e in news):
                    self._seq = news[-1].seq if news else self._seq
                    return self._deps
            seq = sup.last_event_seq()  # before the read: a change racing it shows up as an event after seq, next time
            self._deps, self._seq = sup.store.dependencies(), seq
            self.reads += 1
            return self._deps


_caches: WeakKeyDictionary[Supervisor, DependencyCache] = WeakKeyDictionary()
_guard = threading.Lock()


def cache_for(sup: Supervisor) -> DependencyCache:
    with _guard:
        cache = _caches.get(sup)
        if cache is None:
            cache = _caches[sup] = DependencyCache()
        return cache
