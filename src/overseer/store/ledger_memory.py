"""The usage ledger of ``InMemoryStore``: a mixin over the store's dicts, behind the store's one lock.

``acquire`` checks and inserts under that lock, so racing threads never overrun a window; window arithmetic is
``domain.usage``'s own, the reference the SQL store's queries agree with.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overseer.domain import Dependency, Task, ValidationError
from overseer.domain.enums import DepType
from overseer.domain.usage import CostRow, Park, UsageEntry, Window, WindowUsage, fits, window_usage
from overseer.ports import COST_GROUPS

NO_GROUP = "(none)"


def check_group(by: str) -> None:
    if by not in COST_GROUPS:
        raise ValidationError("by", f"cannot group costs by {by!r}; use one of {', '.join(COST_GROUPS)}")


def total_by_key(rows: Iterable[CostRow]) -> list[CostRow]:
    """One row per key, summing the rows that share it; most expensive first, then by key."""
    totals: dict[str, CostRow] = {}
    for row in rows:
        was = totals.get(row.key)
        totals[row.key] = row if was is None else CostRow(
            row.key, was.cost_usd + row.cost_usd, was.runs + row.runs, was.requests + row.requests,
            was.tokens_in + row.tokens_in, was.tokens_out + row.tokens_out)
    return sorted(totals.values(), key=lambda r: (-r.cost_usd, r.key))


def utc_day(at: datetime) -> str:
    """The UTC date of ``at`` (a naive time is taken as UTC, as the SQL store stores it)."""
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)).date().isoformat()


class MemoryLedgerMixin:
    _lock: threading.RLock
    _clock: Callable[[], datetime]
    _tasks: dict[str, Task]
    _deps: dict[tuple[str, str, str], Dependency]
    _usage: dict[str, UsageEntry]
    _parks: dict[str, Park]

    if TYPE_CHECKING:
        def _log(self, kind: str, task_id: str | None, actor: str, data: Mapping[str, Any] | None = None,
                 run_id: str | None = None) -> None: ...

    # -- entries ---------------------------------------------------------------------------------------
    def _insert_usage(self, entry: UsageEntry) -> UsageEntry:
        if entry.id in self._usage:
            raise ValidationError("id", f"a usage entry with id {entry.id!r} already exists")
        self._usage[entry.id] = entry
        return entry

    def acquire(self, entry: UsageEntry, windows: Sequence[Window], *, ceiling: float = 1.0) -> UsageEntry | None:
        with self._lock:
            usages = [window_usage(entry.provider, w, self._usage.values(), entry.at) for w in windows]
            return self._insert_usage(entry) if fits(entry, usages, ceiling) else None

    def record(self, entry: UsageEntry) -> UsageEntry:
        with self._lock:
            return self._insert_usage(entry)

    def settle(self, entry_id: str, *, requests: int | None = None, tokens_in: int = 0, tokens_out: int = 0,
               cost_usd: float = 0.0, model: str | None = None) -> UsageEntry:
        with self._lock:
            entry = self._usage.get(entry_id)
            if entry is None:
                raise ValidationError("usage", f"no usage entry {entry_id!r}")
            settled = entry.settle(requests=requests, tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost_usd, model=model)
            self._usage[entry_id] = settled
            return settled

    def cancel(self, entry_id: str) -> None:
        with self._lock:
            self._usage.pop(entry_id, None)

    def window_usage(self, provider: str, window: Window, now: datetime, *, reserve_percent: float = 0.0) -> WindowUsage:
        with self._lock:
            return window_usage(provider, window, list(self._usage.values()), now, reserve_percent)

    def usage_entries(self, *, provider: str | None = None, task_id: str | None = None, run_id: str | None = None,
                      since: datetime | None = None, limit: int | None = None) -> list[UsageEntry]:
        with self._lock:
            found = [e for e in self._usage.values() if (provider is None or e.provider == provider)
                     and (task_id is None or e.task_id == task_id) and (run_id is None or e.run_id == run_id)
                     and (since is None or e.at >= since)]
        found.sort(key=lambda e: (e.at, e.id), reverse=True)
        return found[:limit] if limit is not None else found

    # -- spending --------------------------------------------------------------------------------------
    def cost_totals(self, by: str, *, since: datetime | None = None, task_id: str | None = None) -> list[CostRow]:
        check_group(by)
        with self._lock:
            entries = self.usage_entries(task_id=task_id, since=since)
            parents = self._parents()
        return total_by_key(CostRow(_group_key(by, e, parents), e.cost_usd, e.runs, e.requests, e.tokens_in, e.tokens_out)
                            for e in entries)

    def _parents(self) -> dict[str, str]:
        """Each task's parent (the first by id when it has several)."""
        parents: dict[str, str] = {}
        for dep in sorted(self._deps.values(), key=lambda d: d.key, reverse=True):
            if dep.type == DepType.PARENT_CHILD.value:
                parents[dep.task_id] = dep.depends_on
        return parents

    # -- parks -----------------------------------------------------------------------------------------
    def park(self, provider: str, until: datetime, reason: str, *, actor: str) -> Park:
        with self._lock:
            parked = Park(provider, until, reason, self._clock())
            self._parks[provider] = parked
            self._log("provider.parked", None, actor, {"provider": provider, "until": until.isoformat(), "reason": reason})
            return parked

    def unpark(self, provider: str, *, actor: str) -> None:
        with self._lock:
            if self._parks.pop(provider, None) is not None:
                self._log("provider.unparked", None, actor, {"provider": provider})

    def parks(self, now: datetime) -> dict[str, Park]:
        with self._lock:
            return {p: park for p, park in self._parks.items() if park.until > now}


def _group_key(by: str, entry: UsageEntry, parents: Mapping[str, str]) -> str:
    if by == "day":
        return utc_day(entry.at)
    if by == "epic":
        value = parents.get(entry.task_id) if entry.task_id is not None else None
    else:
        value = {"task": entry.task_id, "run": entry.run_id, "provider": entry.provider, "model": entry.model}[by]
    return NO_GROUP if value is None else value
