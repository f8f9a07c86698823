"""``overseer demo``: the whole pipeline on a sample repository, on the built-in scripted model, while serving the dashboard.

1. the sample repository (``sample.py``, ``repository.py``) is written and committed with the demo's ``overseer.yaml``
   (``config.py``); the epic and its five tasks go into the graph;
2. the scripted model server starts on 127.0.0.1 (``model.py``);
3. ``overseer.server.Server`` serves the API and dashboard and runs the supervisor loop: each ready task is routed,
   run by ``overseer.demo.agent`` in its own worktree, verified, and landed on the epic's branch; the planted mistake
   fails its tests and the retry climbs the cascade to the large profile;
4. the auditor audits the sample's history beside the runs (``.overseer/audit/report_<sha>.json``);
5. the progress feed reads the event log through the served API; when the epic waits for approval (or something
   stopped) the result is read from the store and handed to the listener; the server stops unless ``serve``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from overseer.api import ApiSettings, Auth, load_token
from overseer.bootstrap import open_auditor, open_supervisor
from overseer.config import DATABASE_ENV, STATE_DIR
from overseer.demo.config import KEY_ENV, KEY_VALUE
from overseer.demo.model import DemoScript
from overseer.demo.progress import ApiClient, Feed
from overseer.demo.report import DemoResult, TaskSummary, attempts_of, audit_status
from overseer.demo.repository import create_epic, sample_repository, write_sample
from overseer.domain import OverseerError, TaskStatus, ValidationError
from overseer.modelserver import ScriptedModelServer
from overseer.server import ServeOptions, Server
from overseer.service import Supervisor

__all__ = ["DEFAULT_PORT", "Demo", "DemoOptions", "Listener", "Started", "choose_port"]

ACTOR = "overseer-demo"
DEFAULT_PORT = 8765
STOPPED = (TaskStatus.FAILED, TaskStatus.ESCALATED, TaskStatus.CANCELLED, TaskStatus.AWAITING_APPROVAL)


@dataclass(frozen=True)
class DemoOptions:
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int | None = None  # None: 8765, or any free port when that one is taken
    serve: bool = False
    timeout_seconds: float = 300.0
    poll_seconds: float = 0.25


@dataclass(frozen=True)
class Started:
    repo: Path
    url: str
    login: str
    model_url: str
    epic: str


class Listener(Protocol):
    def line(self, text: str) -> None: ...
    def started(self, info: Started) -> None: ...
    def finished(self, result: DemoResult) -> None: ...


def choose_port(host: str, wanted: int | None) -> int:
    """``wanted`` when it is free (0 stays 0: any); with none wanted, 8765, else 0 when 8765 is taken."""
    if wanted == 0:
        return 0
    port = DEFAULT_PORT if wanted is None else wanted
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a socket in TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
            return port
        except OSError as exc:
            if wanted is None:
                return 0
            raise ValidationError("--port", f"cannot serve on {host}:{port}: {exc.strerror or exc}; give another --port, "
                                            "or --port 0 for any free one") from None


@dataclass
class Session:
    """One demo while it runs: the project, the scripted model, the server, and what the watcher found."""

    sup: Supervisor
    epic: str
    names: dict[str, str]  # task id -> short name
    models: ScriptedModelServer
    token: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    result: DemoResult | None = None
    failure: BaseException | None = None


class Demo:
    def __init__(self, options: DemoOptions, listener: Listener, clock: Callable[[], float] = time.monotonic) -> None:
        self.options, self.listener, self.clock = options, listener, clock
        self.t0 = clock()

    def run(self) -> DemoResult:
        self._environment()
        port = choose_port(self.options.host, self.options.port)
        if port == 0 and self.options.port is None:
            self.listener.line(f"port {DEFAULT_PORT} is taken: the dashboard gets a free port instead")
        repo = sample_repository(self.options.path)
        models = ScriptedModelServer(DemoScript(), log_path=repo / STATE_DIR / "scripted-model.jsonl")  # its port is bound now
        try:
            write_sample(repo, models.base_url)
            models.start()
            sup = open_supervisor(repo)
            try:
                epic, names = create_epic(sup, ACTOR)
                return asyncio.run(self._serve(sup, epic, names, models, port))
            finally:
                sup.close()
        finally:
            models.stop()

    def _environment(self) -> None:
        """This process only: the key variable the profiles name, the embedded database, loopback past any proxy."""
        os.environ.setdefault(KEY_ENV, KEY_VALUE)  # the scripted server ignores it; LiteLLM's OpenAI client wants one
        if os.environ.pop(DATABASE_ENV, None):
            self.listener.line(f"{DATABASE_ENV} is ignored: the demo keeps its graph in SQLite inside the sample repository")
        for name in ("NO_PROXY", "no_proxy"):
            os.environ[name] = ",".join(filter(None, [os.environ.get(name, ""), "127.0.0.1", "localhost"]))

    async def _serve(self, sup: Supervisor, epic: str, names: dict[str, str], models: ScriptedModelServer, port: int) -> DemoResult:
        session = Session(sup, epic, names, models, load_token(sup.root / STATE_DIR)[0])
        server = Server(sup, Auth(session.token), ApiSettings(host=self.options.host, port=port),
                        ServeOptions(run_agents=True, audit=False, worker=ACTOR, retry_seconds=2.0))
        watchers: list[asyncio.Task[None]] = []

        def started(srv: Server) -> None:
            info = Started(sup.root, srv.url, f"{srv.url}/login?token={session.token}", models.base_url, epic)
            self.listener.started(info)
            watchers.append(asyncio.create_task(self._guarded(session, srv, info)))

        try:
            await server.run(session.stop, on_started=started)
        finally:
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        if session.failure is not None:
            raise session.failure
        if session.result is None:
            raise OverseerError("the demo stopped before the epic finished")
        return session.result

    async def _guarded(self, session: Session, srv: Server, info: Started) -> None:
        try:
            await self._watch(session, srv, info)
        except Exception as exc:  # a bug here must end the demo with the reason, not leave it serving forever
            session.failure = exc
            session.stop.set()

    async def _watch(self, session: Session, srv: Server, info: Started) -> None:
        """Follow the events until the epic waits for approval (or something stopped), then report and stop serving."""
        api, feed = ApiClient(srv.url, session.token), Feed(session.names, session.epic)
        errors: list[str] = []
        audit = asyncio.create_task(asyncio.to_thread(self._audit, session.sup))
        ok, reason = False, None
        while reason is None:
            await asyncio.sleep(self.options.poll_seconds)
            await self._follow(api, feed, errors)
            ok, reason = await asyncio.to_thread(self._outcome, session, srv)
            if reason is None and self.clock() - self.t0 > self.options.timeout_seconds:
                reason = f"the epic did not finish within {self.options.timeout_seconds:g}s"
        await self._follow(api, feed, errors)
        try:
            report = await audit
        except (OverseerError, OSError) as exc:
            report, reason = None, f"{reason}; the audit failed: {exc}"
        served = await asyncio.to_thread(self._health, api, errors)
        session.result = await asyncio.to_thread(self._result, session, info, ok, reason, report, served)
        self.listener.finished(session.result)
        if not (self.options.serve and ok):
            session.stop.set()

    async def _follow(self, api: ApiClient, feed: Feed, errors: list[str]) -> None:
        """New events through the served API (as the dashboard reads them), as progress lines."""
        while True:
            try:
                page = await asyncio.to_thread(api.get, f"/api/v1/events?after={feed.after}&limit=500")
            except (OSError, ValueError) as exc:
                errors.append(f"GET /api/v1/events: {exc}")
                return
            for event in page.get("events", []):
                for line in feed.lines(event):
                    self.listener.line(f"{self.clock() - self.t0:6.1f}s  {line}")
            if not page.get("more"):
                return

    @staticmethod
    def _outcome(session: Session, srv: Server) -> tuple[bool, str | None]:
        """(ok, why it ended) once it has: the epic waits for approval, a task stopped for a person, or the runner is down."""
        sup = session.sup
        if sup.get(session.epic).status == TaskStatus.AWAITING_APPROVAL:
            return True, "the epic waits for approval"
        for child in session.names:
            task = sup.get(child)
            if task.status in STOPPED:
                last = next((e for e in reversed(sup.events(0, 10_000, child)) if e.data.get("reason")), None)
                return False, f"task {child} ({task.title}) is {task.status.value}: {last.data['reason'] if last else ''}"
        if srv.runner_part.state == "down":
            return False, f"the supervisor loop is down: {srv.runner_part.detail}"
        return False, None

    @staticmethod
    def _audit(sup: Supervisor) -> Path | None:
        """The commit auditor over the sample's history (HEAD the first time): a report for the audit feed."""
        report = open_auditor(sup, actor=f"{ACTOR}:audit").audit_new()
        return sup.root / STATE_DIR / "audit" / f"report_{report.commit_hash}.json" if report is not None else None

    @staticmethod
    def _health(api: ApiClient, errors: list[str]) -> dict[str, object]:
        """What the served API says of the runner now, and how it answered the demo all along."""
        detail: dict[str, object] = {}
        try:
            found = api.get("/api/v1/health/detailed")
            detail = {"status": found.get("status"), "runner": found.get("components", {}).get("runner")}
        except (OSError, ValueError) as exc:
            errors.append(f"GET /api/v1/health/detailed: {exc}")
        return {"requests": api.requests, "errors": errors, "health": detail}

    def _result(self, session: Session, info: Started, ok: bool, reason: str, report: Path | None,
                api: dict[str, object]) -> DemoResult:
        sup, models = session.sup, session.models
        epic = sup.get(session.epic)
        reviewed = next((e for e in reversed(sup.events(0, 10_000, epic.id)) if e.kind == "epic.reviewed"), None)
        tasks = []
        for tid, key in session.names.items():
            task = sup.get(tid)
            tasks.append(TaskSummary(key, tid, task.title, task.status.value, attempts_of(sup, tid)))
        return DemoResult(ok=ok, reason=reason, repo=str(sup.root), url=info.url, login=info.login, epic=epic.id, epic_title=epic.title,
                          epic_status=epic.status.value, epic_branch=epic.branch,
                          epic_review=str(reviewed.data.get("verdict")) if reviewed else None, tasks=tasks,
                          audit_report=str(report) if report else None, audit_status=audit_status(report), api=api,
                          model_requests=len(models.requests), model_url=models.base_url, seconds=round(self.clock() - self.t0, 1))
