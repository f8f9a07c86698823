"""Quota book: the providers' windows read from the usage ledger, parking, and capacity taken atomically.

``can_use(provider, reserve_for_emergency=True)`` answers whether one more run fits: keeping the provider's
emergency reserve untouched (the default: ordinary work), or allowed to use it (reviews, escalations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from overseer.config.providers import ProviderConfig
from overseer.domain import utcnow
from overseer.domain.usage import Park, UsageEntry, UsageKind, WindowUsage, fits, new_usage_id
from overseer.ports import UsageLedger
from overseer.scheduler.router import ProviderState, QuotaView

UNMETERED = "unmetered"  # the ledger's provider for profiles that name none (costs are still recorded)
PARK_WITHOUT_RESET_SECONDS = 60.0  # a rate limit that did not say when it resets parks its provider this long


@dataclass(frozen=True)
class WindowStatus:
    """One row of ``overseer quota``."""

    provider: str
    usage: WindowUsage | None  # None: the provider has no windows (pool and dollars only)
    parked: Park | None

    def dict(self) -> dict[str, object]:
        use = self.usage
        return {"provider": self.provider, "window": use.window.name if use else None, "unit": use.window.unit.value if use else None,
                "used": round(use.used, 6) if use else 0, "limit": use.limit if use else None,
                "percent": round(use.percent, 1) if use else 0.0, "reserve_percent": use.reserve_percent if use else 0.0,
                "resets_at": use.resets_at.isoformat() if use and use.resets_at else None,
                "parked_until": self.parked.until.isoformat() if self.parked else None,
                "parked_reason": self.parked.reason if self.parked else None}


class QuotaBook:
    def __init__(self, ledger: UsageLedger, providers: Mapping[str, ProviderConfig], clock: Callable[[], datetime] = utcnow) -> None:
        self.ledger, self.providers, self.clock = ledger, dict(providers), clock

    def _ceiling(self, provider: str, reserve_for_emergency: bool) -> float:
        conf = self.providers.get(provider)
        return 1.0 - conf.buffer_percent / 100.0 if conf is not None and reserve_for_emergency else 1.0

    def usage(self, provider: str, now: datetime | None = None) -> list[WindowUsage]:
        conf = self.providers.get(provider)
        if conf is None:
            return []
        now = now or self.clock()
        return [self.ledger.window_usage(provider, w, now, reserve_percent=conf.buffer_percent) for w in conf.all_windows()]

    def can_use(self, provider: str, reserve_for_emergency: bool = True) -> bool:
        """Whether one more run fits now (False while parked)."""
        now = self.clock()
        if provider in self.ledger.parks(now):
            return False
        probe = UsageEntry(id="probe", at=now, provider=provider, runs=1, requests=1)
        return fits(probe, self.usage(provider, now), self._ceiling(provider, reserve_for_emergency))

    def view(self, busy: Mapping[str, int] | None = None, busy_profiles: frozenset[str] = frozenset(),
             unusable: Mapping[str, str] | None = None) -> QuotaView:
        """A snapshot for the router; ``busy`` counts live runs per provider (against its pool)."""
        now = self.clock()
        parks = self.ledger.parks(now)
        states = {name: self._state(name, now, parks, busy or {}) for name in self.providers}
        return QuotaView(states, busy_profiles, dict(unusable or {}))

    def refreshed(self, view: QuotaView, provider: str | None, busy: Mapping[str, int],
                  busy_profiles: frozenset[str]) -> QuotaView:
        """``view`` after one more dispatch to ``provider``: only that provider's state is read again."""
        states = dict(view.providers)
        if provider in self.providers:
            now = self.clock()
            states[provider] = self._state(provider, now, self.ledger.parks(now), busy)
        return QuotaView(states, busy_profiles, view.unusable)

    def _state(self, name: str, now: datetime, parks: Mapping[str, Park], busy: Mapping[str, int]) -> ProviderState:
        conf = self.providers[name]
        uses = self.usage(name, now)
        probe = UsageEntry(id="probe", at=now, provider=name, runs=1, requests=1)
        fullest = max(uses, key=lambda u: u.percent, default=None)
        return ProviderState(
            name, percent=fullest.percent if fullest else 0.0, room=fits(probe, uses, self._ceiling(name, True)),
            reserve_room=fits(probe, uses, 1.0), parked_until=parks[name].until if name in parks else None,
            busy=busy.get(name, 0) >= conf.pool, reserve_percent=conf.buffer_percent,
            resets_at=min((u.resets_at for u in uses if u.resets_at and u.percent >= 100 - conf.buffer_percent), default=None))

    def acquire(self, provider: str | None, *, kind: UsageKind, emergency: bool, profile: str | None = None, model: str | None = None,
                task_id: str | None = None, run_id: str | None = None) -> UsageEntry | None:
        """Take one run (or one request, for a call) from ``provider`` atomically; None when it no longer fits."""
        name = provider or UNMETERED
        entry = UsageEntry(id=new_usage_id(), at=self.clock(), provider=name, kind=kind, model=model, profile=profile, task_id=task_id,
                           run_id=run_id, runs=1 if kind is UsageKind.RUN else 0, requests=1, emergency=emergency)
        conf = self.providers.get(name)
        if conf is None:
            return self.ledger.record(entry)
        if name in self.ledger.parks(entry.at):
            return None
        return self.ledger.acquire(entry, conf.all_windows(), ceiling=self._ceiling(name, not emergency))

    def park_rate_limited(self, provider: str | None, reset_at: object, reason: str, *, actor: str) -> datetime:
        """Park ``provider`` until the reset time a rate limit gave (else a minute from now); the time it ends.
        Nothing is parked for a profile without a provider: the caller keeps it off some other way."""
        until = reset_at if isinstance(reset_at, datetime) else self.clock() + timedelta(seconds=PARK_WITHOUT_RESET_SECONDS)
        if provider is not None:
            self.ledger.park(provider, until, reason, actor=actor)
        return until

    def status(self) -> list[WindowStatus]:
        now = self.clock()
        parks = self.ledger.parks(now)
        rows: list[WindowStatus] = []
        for name in self.providers:
            uses = self.usage(name, now)
            rows += [WindowStatus(name, u, parks.get(name)) for u in uses] or [WindowStatus(name, None, parks.get(name))]
        return rows
