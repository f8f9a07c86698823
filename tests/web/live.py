"""A real ``overseer serve`` server (``overseer.server.Server``: uvicorn, the event broker, the dashboard) on a free port,
in a thread with its own event loop, for the browser tests."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from overseer.api import ApiSettings, AppContext, Auth
from overseer.bootstrap import open_supervisor
from overseer.server import ServeOptions, Server


class LiveServer:
    def __init__(self, root: Path, token: str) -> None:
        self.sup = open_supervisor(root)
        self.server = Server(self.sup, Auth(token), ApiSettings(port=0, sse_heartbeat_seconds=1.0),
                             ServeOptions(run_agents=False, audit=False))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="overseer-live-server", daemon=True)

    @property
    def ctx(self) -> AppContext:
        return self.server.ctx

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def _main(self) -> None:
        async def serve() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            await self.server.run(self._stop, on_started=lambda _: self._started.set())

        try:
            asyncio.run(serve())
        except BaseException as exc:  # handed to the test thread: a server that cannot start fails the test
            self._error = exc
            self._started.set()

    def __enter__(self) -> LiveServer:
        self._thread.start()
        if not self._started.wait(30) or self._error is not None:
            raise RuntimeError(f"the server did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)
        self.sup.close()
