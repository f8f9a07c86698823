"""What every route reaches for: the supervisor, the run store, the event broker, the auth, and the parts of the
process beside the API (runner, auditor) that ``overseer serve`` registers for the health page.

Everything concrete comes from ``bootstrap``; the API never imports an adapter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from overseer.api.auth import Auth
from overseer.api.cache import VersionedCache
from overseer.api.events import EventBroker
from overseer.bootstrap import open_approvals, quota_book, run_store
from overseer.config import STATE_DIR
from overseer.gate import Approvals
from overseer.ports import RunStore
from overseer.scheduler import QuotaBook
from overseer.service import Supervisor


@dataclass(frozen=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 8765
    max_body_bytes: int = 1_048_576
    sse_poll_seconds: float = 0.02
    sse_heartbeat_seconds: float = 15.0
    page_size: int = 50
    max_page_size: int = 500
    actor: str = "api"
    ready_ttl_seconds: float = 1.0  # readiness also moves with time (expired leases): kept answers age out


@dataclass(frozen=True)
class Health:
    """One component's answer: ``ok``, ``degraded`` or ``down``, with what it said."""

    status: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


Probe = Callable[[], Health]


class AppContext:
    def __init__(self, sup: Supervisor, auth: Auth, settings: ApiSettings = ApiSettings()) -> None:
        self.sup, self.auth, self.settings = sup, auth, settings
        self.runs: RunStore = run_store(sup)
        self.broker = EventBroker(lambda after, limit: sup.events(after, limit), sup.last_event_seq, poll_seconds=settings.sse_poll_seconds)
        self.cache = VersionedCache()  # list answers, valid while the event log stays put
        self.probes: dict[str, Probe] = {}  # set by `overseer serve`: runner, auditor
        self.started = time.time()
        self._lock = threading.Lock()
        self._approvals: Approvals | None = None

    @property
    def root(self) -> Path:
        return self.sup.root

    @property
    def state_dir(self) -> Path:
        return self.sup.root / STATE_DIR

    def approvals(self) -> Approvals:
        """Built once (it builds the verification stages and the merge queue), on first use."""
        with self._lock:
            if self._approvals is None:
                self._approvals = open_approvals(self.sup, actor=self.settings.actor)
            return self._approvals

    def quota(self) -> QuotaBook:
        return quota_book(self.sup)


def context(request: Request) -> AppContext:
    """The FastAPI dependency: ``ctx: Annotated[AppContext, Depends(context)]``."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx
