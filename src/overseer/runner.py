"""The supervisor loop: ready tasks become agent runs in their own worktrees, and come back as a commit
on ``overseer/run/<id>`` or as a recorded failure. Event-driven: it wakes when a run ends, and on a short tick
for new ready work. Adapters arrive through ``bootstrap``; this module sees only ports."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from overseer.config import ProfileConfig
from overseer.domain import ClaimError, OverseerError, Task, TaskStatus, ValidationError, utcnow
from overseer.domain.prompt import build_prompt
from overseer.domain.runs import AgentEvent, ExitReason, RateLimit, Run, RunStatus, status_for
from overseer.gate import Backlog, Gatekeeper, Retrospective
from overseer.knowledge import Brain
from overseer.ports import Executor, Limits, RunReport, RunRequest, RunStarted, RunStore, TaskQuery
from overseer.scheduler import Decision, QuotaView
from overseer.scheduler.dispatch import Taken, TaskRouting
from overseer.service import Supervisor

CONVENTION_FILES = ("AGENTS.md", "CLAUDE.md")
CONVENTIONS_MAX_CHARS = 8_000
LIVE = (RunStatus.STARTING, RunStatus.RUNNING)


def profile_options(prof: ProfileConfig) -> dict[str, object]:
    """The harness options of a profile: its ``options`` plus, for the command harness, the ``command`` template."""
    return {**prof.options, **({"command": list(prof.command)} if prof.command else {})}


def new_run_id() -> str:
    return "run-" + hashlib.sha256(os.urandom(16)).hexdigest()[:10]


@dataclass
class RunnerState:
    """What the terminal view shows: live runs and totals so far."""

    active: dict[str, Run] = field(default_factory=dict)
    finished: list[Run] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class Runner:
    def __init__(self, sup: Supervisor, runs: RunStore, executor: Executor, routing: TaskRouting, gate: Gatekeeper, *, worker: str,
                 clock: Callable[[], datetime] = utcnow, on_change: Callable[[RunnerState], None] | None = None,
                 brain: Brain | None = None, retrospective: Retrospective | None = None) -> None:
        self.sup, self.runs, self.executor, self.routing, self.gate, self.worker = sup, runs, executor, routing, gate, worker
        self.brain = brain  # quotes relevant knowledge in prompts (when knowledge.in_prompts)
        # looks back at tasks that land or fail (knowledge.retrospective), in a thread of its own
        self.retrospectives = Backlog(retrospective.after if retrospective is not None else None)
        self.clock = clock
        self.on_change = on_change
        self.state = RunnerState()
        self.base = ""
        self._wake = asyncio.Event()
        self._pools: Counter[str] = Counter()
        self._live: dict[str, str | None] = {}  # run id -> provider, for the providers' pools
        self._usage: dict[str, str] = {}  # run id -> its ledger entry
        self._starts: dict[str, str] = {}  # run id -> the integration branch it starts from
        self._unusable: dict[str, str] = {}  # profile -> why it cannot run on this machine
        self._seen_seq = 0

    # -- set-up --------------------------------------------------------------------------------------
    def _view(self) -> QuotaView:
        return self.routing.quota.view(busy=self.routing.busy(self._live), busy_profiles=self._full_profiles(), unusable=self._unusable)

    def _full_profiles(self) -> frozenset[str]:
        return frozenset(n for n, p in self.sup.config.profiles.items() if self._pools[n] >= p.pool)

    def route(self, task: Task, view: QuotaView | None = None) -> Decision:
        """Where ``task`` would go now (a failed earlier attempt cascades from the profile it ran on)."""
        last = self.runs.list_runs(task_id=task.id, limit=1) if task.attempts else []
        return self.routing.route(task, view or self._view(), last[0] if last else None)

    def _profile(self, name: str) -> ProfileConfig:
        try:
            return self.sup.config.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.sup.config.profiles)) or "none configured"
            raise ValidationError("profile", f"unknown profile {name!r} (profiles in overseer.yaml: {known})") from None

    def preflight(self) -> str:
        """Check the repository and the profiles: one written in overseer.yaml (or pinned) that cannot run here is an
        error before anything starts; a reference profile that cannot (no CLI, no key) is left out of routing, and
        the reason shows where work waits."""
        self.base = self.executor.check(self.sup.config.runtime.base_branch)
        self.gate.base = self.base
        pinned = {p for p in (self.routing.pinned(t) for t in self.sup.ready()) if p}
        pinned |= set(self.sup.config.runtime.default_profiles.values())
        for name in sorted(pinned):
            self._profile(name)
        self._unusable = {}
        for name, prof in self.sup.config.profiles.items():
            try:
                self.executor.check_profile(prof.harness, prof.env, profile_options(prof))
            except OverseerError as err:
                if name in pinned or not self.sup.config.is_builtin(name):
                    raise ValidationError(f"profiles.{name}", str(err)) from None
                self._unusable[name] = str(err).split("\n")[0]
        return self.base

    def recover(self) -> list[Run]:
        """Runs left live by a previous supervisor whose process is gone: mark them lost, re-queue their tasks."""
        lost = []
        for run in self.runs.list_runs(statuses=LIVE):
            if run.pid is not None and self.executor.alive(run.pid):
                continue
            lost.append(self.runs.update_run(run.id, {"status": RunStatus.LOST, "exit_reason": ExitReason.LOST, "ended_at": self.clock(),
                                                      "error": "the supervisor restarted and the run's process was gone"},
                                             actor=self.worker, event="run.lost"))
            self._requeue(run.task_id, f"its run {run.id} was lost", count_attempt=True)
        for task in self.sup.list_tasks(TaskQuery(statuses=(TaskStatus.RUNNING, TaskStatus.CLAIMED))):
            orphan = task.status == TaskStatus.RUNNING or (task.status == TaskStatus.CLAIMED and task.claimed_by == self.worker)
            if orphan and not self.runs.list_runs(task_id=task.id, statuses=LIVE):
                self._requeue(task.id, "no live run")
        return lost

    def _requeue(self, task_id: str, why: str, *, count_attempt: bool = False) -> None:
        task = self.sup.get(task_id)
        if task.status in (TaskStatus.RUNNING, TaskStatus.CLAIMED):
            changes = {"attempts": task.attempts + 1} if count_attempt else None  # a lost run was an attempt
            self.sup.set_status(task_id, TaskStatus.OPEN, actor=self.worker, reason=f"re-queued: {why}", changes=changes)

    # -- the loop ------------------------------------------------------------------------------------
    async def run(self, *, once: bool = False, max_parallel: int | None = None) -> RunnerState:
        self.preflight()
        self.recover()
        await asyncio.to_thread(self.gate.resume)
        limit = max_parallel or self.sup.config.runtime.max_parallel
        active: dict[str, asyncio.Task[None]] = {}
        watcher = asyncio.create_task(self._watch(self.sup.config.runtime.watch_seconds))
        try:
            while True:
                for run_id in [r for r, t in active.items() if t.done()]:
                    active.pop(run_id).result()
                self._wake.clear()
                started = await self._dispatch(active, limit)
                if once and not active and not started:
                    await self.retrospectives.drain()
                    return self.state
                if not started:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.sup.config.runtime.tick_seconds)
        finally:
            watcher.cancel()
            for task in active.values():
                task.cancel()
            await asyncio.gather(watcher, *active.values(), return_exceptions=True)
            self.retrospectives.cancel()

    async def _watch(self, every: float) -> None:
        """Wake the loop when the event log moves (new or changed tasks, from this process or any other)."""
        while True:
            await asyncio.sleep(every)
            if self.sup.last_event_seq() != self._seen_seq:
                self._wake.set()

    async def _dispatch(self, active: dict[str, asyncio.Task[None]], limit: int) -> int:
        """Claim ready work for the free slots (store work in a thread, so live runs' output keeps flowing), then start it."""
        if len(active) >= limit:
            self._seen_seq = self.sup.last_event_seq()
            return 0
        picked = await asyncio.to_thread(self._claim_batch, limit - len(active))
        for run, task, name, prof in picked:
            self.state.active[run.id] = run
            active[run.id] = asyncio.create_task(self._execute(run, task, name, prof))
        if picked:
            self._changed()
        return len(picked)

    def _claim_batch(self, free: int) -> list[tuple[Run, Task, str, ProfileConfig]]:
        self._seen_seq = self.sup.last_event_seq()
        picked: list[tuple[Run, Task, str, ProfileConfig]] = []
        view = self._view()
        # enough candidates to fill the free slots even when some must wait (full pools, windows, parked providers)
        for task in self.sup.ready(free * 4 + 16):
            if len(picked) >= free:
                break
            decision = self.route(task, view)
            run_id = new_run_id()
            taken = self.routing.take(task, decision, run_id) if decision.usable else None
            if taken is None:
                filled = f"the windows filled meanwhile ({decision.reason})"
                self.state.skipped[task.id] = filled if decision.usable else decision.reason
                continue
            started = self._start(task, taken, run_id)
            if started is not None:
                picked.append(started)
                view = self.routing.quota.refreshed(view, taken.option.provider, self.routing.busy(self._live), self._full_profiles())
        return picked

    def _start(self, task: Task, taken: Taken, run_id: str) -> tuple[Run, Task, str, ProfileConfig] | None:
        name = taken.option.profile
        prof = self.sup.config.profiles[name]
        run = Run(id=run_id, task_id=task.id, profile=name, harness=prof.harness, attempt=task.attempts + 1,
                  worker=self.worker, created_at=self.clock())
        try:
            running = self.runs.start_run(task.id, run, worker=self.worker, lease_seconds=self.sup.config.claims.lease_seconds)
        except ClaimError:
            running = None
        if running is None:
            self.routing.quota.ledger.cancel(taken.entry.id)
            return None
        self.sup.store.record_event("routing.decided", actor=self.worker, task_id=task.id, run_id=run.id, data=taken.event_data())
        self._starts[run.id] = self.gate.target_for(task)
        self._pools[name] += 1
        self._live[run.id] = taken.option.provider
        self._usage[run.id] = taken.entry.id
        self.state.skipped.pop(task.id, None)
        return run, running, name, prof

    def _request(self, run: Run, task: Task, prof: ProfileConfig) -> RunRequest:
        return RunRequest(
            run_id=run.id, task_id=task.id, prompt=self._prompt(task), base_branch=self._starts.pop(run.id, self.base),
            harness=prof.harness,
            model=prof.model, env=dict(prof.env), args=tuple(prof.args),
            options=profile_options(prof),
            limits=Limits(prof.stall_seconds, prof.wall_seconds, prof.max_turns or task.budget.max_iterations, prof.max_cost_usd),
            commit_message=f"{task.id}: {task.title}\n\nCommitted by Overseer for run {run.id} ({run.profile}).",
        )

    def _prompt(self, task: Task) -> str:
        conventions, source = None, None
        for name in CONVENTION_FILES:
            path = Path(self.sup.root) / name
            if path.is_file():
                conventions, source = path.read_text(encoding="utf-8", errors="replace")[:CONVENTIONS_MAX_CHARS], name
                break
        feedback = self.gate.feedback(task) if task.attempts else []
        return build_prompt(task, conventions=conventions, conventions_file=source, feedback=feedback, knowledge=self._knowledge(task))

    def _knowledge(self, task: Task) -> str:
        """The ``## Relevant knowledge`` section: the entries best matching the task's title and body ("" for none)."""
        cfg = self.sup.config.knowledge
        if self.brain is None or not cfg.in_prompts:
            return ""
        return self.brain.relevant(f"{task.title}\n{task.body}", limit=cfg.prompt_entries)

    async def _execute(self, run: Run, task: Task, name: str, prof: ProfileConfig) -> None:
        async def on_started(st: RunStarted) -> None:
            changes = {"status": RunStatus.RUNNING, "pid": st.pid, "branch": st.branch, "worktree": st.worktree,
                       "base_commit": st.base_commit, "started_at": self.clock(), "heartbeat_at": self.clock()}
            self.state.active[run.id] = await asyncio.to_thread(self.runs.update_run, run.id, changes, actor=self.worker,
                                                                event="run.started")
            self._changed()

        async def on_event(event: AgentEvent) -> None:
            if isinstance(event, RateLimit):
                await asyncio.to_thread(self.runs.update_run, run.id, {}, actor=self.worker, event="run.rate_limited")

        async def heartbeat() -> None:
            await asyncio.to_thread(self._beat, run.id, task.id)

        try:
            report = await self.executor.execute(self._request(run, task, prof), on_started, on_event, heartbeat)
        except OverseerError as err:
            report = RunReport(reason=ExitReason.SPAWN_ERROR, error=str(err))
        except Exception as err:  # a bug or an I/O failure in one run must not stop the others, nor leave it live
            report = RunReport(reason=ExitReason.SPAWN_ERROR, error=f"internal error: {type(err).__name__}: {err}")
        finally:
            self._pools[name] -= 1
            self._live.pop(run.id, None)
        try:
            # store writes and worktree clean-up off the event loop, so live runs' output keeps flowing meanwhile
            await asyncio.to_thread(self._finish, run, task, report)
            self.retrospectives.submit(task.id, run.id)  # it looks back only when this run ended the task as configured
        finally:
            self._wake.set()

    def _beat(self, run_id: str, task_id: str) -> None:
        self.sup.heartbeat(task_id, self.worker)
        self.runs.update_run(run_id, {"heartbeat_at": self.clock()}, actor=self.worker)

    def _finish(self, run: Run, task: Task, report: RunReport) -> None:
        status = status_for(report.reason)
        if status == RunStatus.SUCCEEDED and report.head_commit is None:
            status = RunStatus.FAILED
            report = dataclasses.replace(report, reason=ExitReason.AGENT_ERROR, error="the agent reported success but changed nothing")
        changes = {
            "status": status, "exit_reason": report.reason, "exit_code": report.exit_code, "head_commit": report.head_commit,
            "diff_stat": dict(report.diff_stat), "tokens_in": report.tokens_in, "tokens_out": report.tokens_out,
            "cost_usd": report.cost_usd, "turns": report.turns, "session_id": report.session_id, "error": report.error,
            "ended_at": self.clock(),
        }
        entry = self._usage.pop(run.id, None)
        if entry is not None:
            changes["cost_usd"] = self.routing.settle(entry, model=self.sup.config.profiles[run.profile].model, tokens_in=report.tokens_in,
                                                      tokens_out=report.tokens_out, reported_cost=report.cost_usd, turns=report.turns)
        done = self.runs.update_run(run.id, changes, actor=self.worker, event="run.finished")
        self.state.active.pop(run.id, None)
        self.state.finished.append(done)
        attempts = task.attempts + 1  # the claimed task: only the run that holds it changes its attempts
        counted = {"attempts": attempts}
        cap = task.budget.max_cost_usd
        spent = self.routing.task_cost(task.id) if cap is not None else 0.0  # a ledger query only for tasks with a budget
        if status == RunStatus.SUCCEEDED:
            self.sup.set_status(task.id, TaskStatus.VERIFYING, actor=self.worker, reason=f"run {run.id} succeeded", changes=counted)
            self.gate.verify(done)
        elif cap is not None and spent >= cap:
            why = (f"cost budget spent: ${spent:.2f} of ${cap:.2f} after run {run.id} ended {report.reason.value}; "
                   "a person decides: raise budget.max_cost_usd and reopen, or close it")
            self.executor.discard(run.id, delete_branch=False)
            self.gate.escalate_spent(task, run.id, spent, cap, why, changes=counted)
        elif report.reason == ExitReason.RATE_LIMITED:
            provider = self.sup.config.profiles[run.profile].provider
            until = self.routing.quota.park_rate_limited(provider, report.rate_limit_reset_at,
                                                         f"run {run.id} ({run.profile}) was rate limited", actor=self.worker)
            if provider is None:
                self._unusable[run.profile] = f"rate limited until {until.isoformat(timespec='seconds')}"  # no provider to park
            why = f"run {run.id} was rate limited; {provider or run.profile} parked until {until.isoformat(timespec='seconds')}"
            self.sup.set_status(task.id, TaskStatus.OPEN, actor=self.worker, reason=why, changes=counted)
            self.executor.discard(run.id, delete_branch=False)
            self.gate.notices.send("window_exhausted", f"{provider or run.profile} is out of capacity", why, task=task.id, run=run.id,
                                   severity="warning")
        elif attempts < task.budget.max_attempts:
            self.sup.set_status(task.id, TaskStatus.OPEN, actor=self.worker, reason=f"run {run.id} ended {report.reason.value}; retrying",
                                changes=counted)
            self.executor.discard(run.id, delete_branch=False)
        else:
            why = f"{attempts} attempts spent; last run {run.id} ended {report.reason.value}"
            self.sup.set_status(task.id, TaskStatus.FAILED, actor=self.worker, reason=why, changes=counted)
            self.executor.discard(run.id, delete_branch=False)
            self.gate.notices.send("failed", f"{task.id} failed: {task.title}", why + (f"\n\n{report.error}" if report.error else ""),
                                   task=task.id, run=run.id, severity="failure")
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state)
