"""``overseer serve``: the API, the dashboard, the supervisor loop and the commit auditor in one process.

One asyncio loop holds them all: uvicorn serves the app, the ``Runner`` dispatches ready work, the auditor's
``Watcher`` audits new commits. Store and git work happen in worker threads, so none of them stalls the others. A part
that fails (the runner's preflight refuses a dirty checkout, say) is retried every ``retry_seconds`` and shows as
``down`` with its reason on ``/api/v1/health/detailed``; the API keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from overseer.api import ApiSettings, AppContext, Auth, Health, create_app
from overseer.audit import Watcher
from overseer.bootstrap import file_changes, open_auditor, open_runner
from overseer.domain import OverseerError
from overseer.runner import Runner
from overseer.service import Supervisor
from overseer.web import mount

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when it is installed (a faster loop for the HTTP server), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def build_app(ctx: AppContext) -> FastAPI:
    """The API, the dashboard and the MCP endpoint (``/mcp``) over one context."""
    app = create_app(ctx.sup, ctx.auth, ctx.settings, ctx=ctx)
    mount(app)
    from overseer.mcp import mount as mount_mcp  # the MCP SDK is imported when a server is built, not by every CLI command

    mount_mcp(app, ctx.sup, host=ctx.settings.host)  # MCP over streamable HTTP at /mcp, behind the same token guard
    return app


@dataclass
class Part:
    """One long-running part of the process, as the health page reports it."""

    name: str
    enabled: bool
    state: str = "starting"
    detail: str = ""
    since: float = field(default_factory=time.time)
    restarts: int = 0

    def set(self, state: str, detail: str = "") -> None:
        self.state, self.detail, self.since = state, detail, time.time()

    def health(self) -> Health:
        if not self.enabled:
            return Health("ok", "disabled", {"state": "disabled"})
        status = {"running": "ok", "starting": "ok", "stopped": "degraded"}.get(self.state, "down")
        return Health(status, self.detail or self.state, {"state": self.state, "since": self.since, "restarts": self.restarts})


@dataclass(frozen=True)
class ServeOptions:
    run_agents: bool = True
    audit: bool = True
    mode: str | None = None
    max_parallel: int | None = None
    worker: str = "overseer-serve"
    retry_seconds: float = 10.0


class Server:
    def __init__(self, sup: Supervisor, auth: Auth, settings: ApiSettings = ApiSettings(), options: ServeOptions = ServeOptions()) -> None:
        self.sup, self.auth, self.settings, self.options = sup, auth, settings, options
        self.ctx = AppContext(sup, auth, settings)
        self.app = build_app(self.ctx)
        self.runner_part = Part("runner", options.run_agents)
        self.auditor_part = Part("auditor", options.audit)
        self.ctx.probes.update(runner=self._runner_health, auditor=self.auditor_part.health)
        self.runner: Runner | None = None
        self.uvicorn: uvicorn.Server | None = None

    @property
    def url(self) -> str:
        host = self.settings.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound port (the one asked for, or the one the OS chose for port 0), once started."""
        if self.uvicorn is not None and self.uvicorn.servers:
            return int(self.uvicorn.servers[0].sockets[0].getsockname()[1])
        return self.settings.port

    def _runner_health(self) -> Health:
        health = self.runner_part.health()
        if self.runner is not None and self.runner_part.state == "running":
            state = self.runner.state
            health.data.update(active=len(state.active), finished=len(state.finished), skipped=len(state.skipped))
        return health

    async def run(self, stop: asyncio.Event | None = None, *, on_started: Callable[[Server], Awaitable[None] | None] | None = None) -> None:
        """Serve until ``stop`` is set (or uvicorn is told to exit: Ctrl-C, SIGTERM)."""
        stop = stop or asyncio.Event()
        config = uvicorn.Config(self.app, host=self.settings.host, port=self.settings.port, log_level="warning",
                                access_log=False, lifespan="on", timeout_graceful_shutdown=3)
        self.uvicorn = uvicorn.Server(config)
        web = asyncio.create_task(self._serve_http(self.uvicorn), name="overseer-http")
        while not self.uvicorn.started:
            if web.done():
                web.result()  # the port is taken, say: raise what uvicorn raised
                raise OverseerError(f"the server on {self.settings.host}:{self.settings.port} stopped while starting")
            await asyncio.sleep(0.02)
        parts = []
        if self.options.run_agents:
            parts.append(asyncio.create_task(self._keep(self.runner_part, self._run_agents), name="overseer-runner"))
        if self.options.audit:
            parts.append(asyncio.create_task(self._keep(self.auditor_part, self._run_auditor), name="overseer-auditor"))
        if on_started is not None:
            result = on_started(self)
            if asyncio.iscoroutine(result):
                await result
        stopper = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({web, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in parts:
                task.cancel()
            await asyncio.gather(*parts, return_exceptions=True)
            self.uvicorn.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await web
            stopper.cancel()

    async def _serve_http(self, server: uvicorn.Server) -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits the process when it cannot bind: make it an error the caller can report
            raise OSError(f"cannot listen on {self.settings.host}:{self.settings.port} (is the port taken?)") from None

    async def _keep(self, part: Part, body: Callable[[], Awaitable[None]]) -> None:
        """Run ``body``; when it fails, say why on the health page and try again after a while."""
        while True:
            part.set("running")
            try:
                await body()
                part.set("stopped", "ended")
                return
            except asyncio.CancelledError:
                part.set("stopped", "server shutting down")
                raise
            except OverseerError as err:
                part.set("down", f"{err} (retrying every {self.options.retry_seconds:g}s)")
            except Exception as err:  # a bug must not take the API down: report it, retry
                part.set("down", f"{type(err).__name__}: {err} (retrying every {self.options.retry_seconds:g}s)")
            part.restarts += 1
            await asyncio.sleep(self.options.retry_seconds)

    async def _run_agents(self) -> None:
        self.runner = open_runner(self.sup, worker=self.options.worker, mode=self.options.mode)
        await self.runner.run(max_parallel=self.options.max_parallel)

    async def _run_auditor(self) -> None:
        auditor = open_auditor(self.sup, actor=f"{self.options.worker}:audit")
        changes = file_changes(self.sup.root, (self.sup.config.audit.inbox,))
        await Watcher(auditor, changes, renice=False).run()
