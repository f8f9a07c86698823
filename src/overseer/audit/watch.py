"""``overseer audit --watch``: poll git for new commits, and watch the files for uncommitted work, which is audited once
it has been quiet for ``audit.debounce_seconds``. The loop runs at a lower CPU priority (``audit.nice``); its checks are
its children and inherit it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable

from overseer.audit.auditor import Auditor
from overseer.domain.audit import AuditReport

FileChanges = Callable[[asyncio.Event], AsyncIterator[set[str]]]  # yields the paths that changed, until the event is set


class Watcher:
    def __init__(self, auditor: Auditor, file_changes: FileChanges | None = None, *,
                 on_report: Callable[[AuditReport], None] | None = None, clock: Callable[[], float] = time.monotonic,
                 renice: bool = True) -> None:
        self.auditor, self.file_changes, self.on_report, self.clock = auditor, file_changes, on_report, clock
        self.renice = renice  # False inside `overseer serve`: os.nice would slow the API in the same process too
        self.config = auditor.config
        self.dirty_since: float | None = None  # when uncommitted work last changed, while it waits to be audited
        self.reports: list[AuditReport] = []

    async def run(self, stop: asyncio.Event | None = None, *, max_audits: int | None = None) -> list[AuditReport]:
        stop = stop or asyncio.Event()
        if self.renice:
            with contextlib.suppress(OSError):
                os.nice(self.config.nice)
        watcher = asyncio.create_task(self._watch_files(stop)) if self.file_changes is not None else None
        try:
            while not stop.is_set():
                await self.tick()
                if max_audits is not None and len(self.reports) >= max_audits:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.config.poll_seconds)
        finally:
            stop.set()
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
        return self.reports

    async def tick(self) -> None:
        """One look: new commits first (they also cover uncommitted work that got committed), then quiet uncommitted work."""
        report = await asyncio.to_thread(self.auditor.audit_new)
        if report is not None:
            self.dirty_since = None
            self._reported(report)
            return
        if self.dirty_since is not None and self.clock() - self.dirty_since >= self.config.debounce_seconds:
            self.dirty_since = None
            report = await asyncio.to_thread(self.auditor.audit_uncommitted)
            if report is not None:
                self._reported(report)

    def touched(self) -> None:
        self.dirty_since = self.clock()

    async def _watch_files(self, stop: asyncio.Event) -> None:
        assert self.file_changes is not None
        async for changed in self.file_changes(stop):
            if changed:
                self.touched()

    def _reported(self, report: AuditReport) -> None:
        self.reports.append(report)
        if self.on_report is not None:
            self.on_report(report)
