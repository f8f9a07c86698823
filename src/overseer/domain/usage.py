"""Capacity and spending: quota windows, the usage ledger's entries, provider parking, and window arithmetic.

A provider's capacity is a set of rolling windows ("45 runs per 5 h", "2,000,000 tokens per 7 d"). The ledger
is append-only in spirit: a dispatch *acquires* one entry (one run, one request) atomically against every
window, and *settles* it with the real tokens and dollars when the run or call ends. A window's use is the sum
of its unit over the entries whose ``at`` lies in ``(now - length, now]``; it resets (gains room) when its
oldest entry falls out.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

__all__ = [
    "CostRow", "Park", "ProviderKind", "Unit", "UsageEntry", "UsageKind", "Window", "WindowUsage", "fits", "format_duration",
    "new_usage_id", "parse_duration", "window_usage",
]


class ProviderKind(str, Enum):
    SUBSCRIPTION = "subscription"  # paid by the window ("45 prompts per 5 hours")
    API = "api"                    # pay per token, within a dollar budget
    LOCAL = "local"                # a model on this machine: pool size only


class Unit(str, Enum):
    RUNS = "runs"
    REQUESTS = "requests"
    TOKENS = "tokens"
    USD = "usd"


class UsageKind(str, Enum):
    RUN = "run"    # an agent run (a harness process)
    CALL = "call"  # a direct model call through the gateway


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str | float | int) -> float:
    """Seconds in ``"5h"``, ``"30m"``, ``"7d"``, ``"1w"`` or a bare number of seconds; ValueError otherwise."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (write e.g. 5h, 30m, 7d, 1w or seconds)")
    return float(match.group(1)) * _SECONDS[match.group(2)]


def format_duration(seconds: float) -> str:
    for suffix, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{suffix}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class Window:
    """``limit`` of ``unit`` per rolling ``seconds``."""

    limit: float
    unit: Unit
    seconds: float

    @property
    def name(self) -> str:
        return format_duration(self.seconds)


def new_usage_id() -> str:
    return "use-" + hashlib.sha256(os.urandom(16)).hexdigest()[:12]


@dataclass(frozen=True)
class UsageEntry:
    """One line of the ledger: what one run or model call took from one provider."""

    id: str
    at: datetime
    provider: str
    kind: UsageKind = UsageKind.RUN
    model: str | None = None
    profile: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    runs: int = 0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    emergency: bool = False  # took capacity from the provider's emergency reserve
    settled: bool = False    # the real figures are in (False while its run is live)

    def amount(self, unit: Unit) -> float:
        if unit is Unit.RUNS:
            return float(self.runs)
        if unit is Unit.REQUESTS:
            return float(self.requests)
        if unit is Unit.TOKENS:
            return float(self.tokens_in + self.tokens_out)
        return self.cost_usd

    def settle(self, *, requests: int | None = None, tokens_in: int = 0, tokens_out: int = 0, cost_usd: float = 0.0,
               model: str | None = None) -> UsageEntry:
        return replace(self, requests=self.requests if requests is None else requests, tokens_in=tokens_in, tokens_out=tokens_out,
                       cost_usd=cost_usd, model=model or self.model, settled=True)


@dataclass(frozen=True)
class WindowUsage:
    provider: str
    window: Window
    used: float
    reserve_percent: float = 0.0
    oldest_at: datetime | None = None  # the oldest entry still inside the window

    @property
    def limit(self) -> float:
        return self.window.limit

    @property
    def remaining(self) -> float:
        return max(0.0, self.window.limit - self.used)

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.window.limit if self.window.limit else 100.0

    @property
    def resets_at(self) -> datetime | None:
        """When the oldest entry leaves the window, so room comes back (None: nothing used)."""
        return self.oldest_at + timedelta(seconds=self.window.seconds) if self.oldest_at is not None else None

    def dict(self) -> dict[str, object]:
        return {"window": self.window.name, "unit": self.window.unit.value, "used": round(self.used, 6), "limit": self.limit,
                "remaining": round(self.remaining, 6), "percent": round(self.percent, 1), "reserve_percent": self.reserve_percent,
                "resets_at": self.resets_at.isoformat() if self.resets_at else None}


def window_usage(provider: str, window: Window, entries: Iterable[UsageEntry], now: datetime, reserve_percent: float = 0.0) -> WindowUsage:
    """The use of ``window`` at ``now`` from ``entries`` of ``provider`` (the reference the SQL queries agree with)."""
    start = now - timedelta(seconds=window.seconds)
    inside = [e for e in entries if e.provider == provider and start < e.at <= now and e.amount(window.unit) > 0]
    used = sum(e.amount(window.unit) for e in inside)
    oldest = min((e.at for e in inside), default=None)
    return WindowUsage(provider, window, used, reserve_percent, oldest)


def fits(entry: UsageEntry, usages: Iterable[WindowUsage], ceiling: float) -> bool:
    """Whether ``entry`` fits every window without passing ``ceiling`` x limit.

    Units known at acquisition (runs, requests) must fit whole; tokens and dollars, known only when the run
    settles, need the window to be below its ceiling now.
    """
    for use in usages:
        cap = use.window.limit * ceiling
        amount = entry.amount(use.window.unit)
        if use.window.unit in (Unit.RUNS, Unit.REQUESTS):
            if use.used + amount > cap + 1e-9:
                return False
        elif use.used >= cap:
            return False
    return True


@dataclass(frozen=True)
class Park:
    """A provider said its limit is reached: no dispatch to it before ``until``."""

    provider: str
    until: datetime
    reason: str
    at: datetime

    def dict(self) -> dict[str, object]:
        return {"provider": self.provider, "until": self.until.isoformat(), "reason": self.reason, "at": self.at.isoformat()}


@dataclass(frozen=True)
class CostRow:
    """Totals for one group of ledger entries (a task, provider, day, run, epic or model)."""

    key: str
    cost_usd: float
    runs: int
    requests: int
    tokens_in: int
    tokens_out: int

    def dict(self) -> dict[str, object]:
        return {"key": self.key, "cost_usd": round(self.cost_usd, 6), "runs": self.runs, "requests": self.requests,
                "tokens_in": self.tokens_in, "tokens_out": self.tokens_out}
