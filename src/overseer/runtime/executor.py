"""``LocalExecutor``: runs an agent on this machine — a worktree, a minimal environment, a supervised
process group, a bounded masked log — and reports what happened. The harness registry is injected."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from overseer.config import RuntimeConfig
from overseer.domain import ValidationError
from overseer.domain.runs import AgentEvent, event_kind
from overseer.ports import Harness, Invocation, RunReport, RunRequest, RunSpec, RunStarted
from overseer.runtime import process
from overseer.runtime.environment import check_credentials, expand_profile_env, minimal_env
from overseer.runtime.logs import BoundedLog
from overseer.runtime.worktree import BRANCH_PREFIX, Worktree, Worktrees

HarnessLookup = Callable[[str, Mapping[str, Any]], Harness]
BinaryLookup = Callable[[Harness], Path | None]


@dataclass(frozen=True)
class _Resolved:
    harness: Harness
    binary: Path
    env: dict[str, str]           # the profile's env with ${VAR} expanded
    passed: dict[str, str]        # credentials passed through from the supervisor's environment
    secrets: set[str]             # values to mask in logs


class LocalExecutor:
    def __init__(self, repo: Path, state_dir: Path, runtime: RuntimeConfig, harness_for: HarnessLookup, find_binary: BinaryLookup,
                 environ: Mapping[str, str] | None = None) -> None:
        self.repo, self.state_dir, self.runtime = repo, state_dir, runtime
        self.harness_for, self.find_binary = harness_for, find_binary
        self.environ = dict(os.environ if environ is None else environ)
        root = Path(runtime.worktrees)
        self.worktrees = Worktrees(repo, root if root.is_absolute() else repo / root)

    def run_dir(self, run_id: str) -> Path:
        return self.state_dir / "runs" / run_id

    # -- checks before anything starts ------------------------------------------------------------------
    def check(self, base_branch: str | None) -> str:
        return self.worktrees.check_repo(base_branch)

    def check_profile(self, harness: str, env: Mapping[str, str], options: Mapping[str, Any]) -> str:
        return str(self._resolve(harness, env, options).binary)

    def _resolve(self, harness: str, env: Mapping[str, str], options: Mapping[str, Any]) -> _Resolved:
        """The harness, its binary and environment for a profile; raises naming what is missing."""
        h = self.harness_for(harness, options)
        binary = self._binary(h)
        expanded, secrets = expand_profile_env(env, self.environ)
        passed = self._passed_credentials(h)
        check_credentials(h.credential_env, {**passed, **expanded}, h.name)
        return _Resolved(h, binary, expanded, passed, secrets | set(passed.values()))

    def _binary(self, h: Harness) -> Path:
        binary = self.find_binary(h)
        if binary is None:
            raise ValidationError("harness", f"{h.name}: {h.binary!r} was not found on PATH nor in .tools/bin "
                                             "(install it, or run `make test`, which installs the pinned agent CLIs)")
        return binary

    def _passed_credentials(self, h: Harness) -> dict[str, str]:
        return {name: self.environ[name] for name in h.credential_env if self.environ.get(name)}

    # -- one run ------------------------------------------------------------------------------------------
    async def execute(self, request: RunRequest, on_started: Callable[[RunStarted], Awaitable[None]],
                      on_event: Callable[[AgentEvent], Awaitable[None]], heartbeat: Callable[[], Awaitable[None]]) -> RunReport:
        resolved = self._resolve(request.harness, request.env, request.options)
        h, binary, expanded, passed = resolved.harness, resolved.binary, resolved.env, resolved.passed
        run_dir = self.run_dir(request.run_id)
        home = run_dir / "home"
        home.mkdir(parents=True, exist_ok=True)
        wt = await asyncio.to_thread(self._prepare, request)
        spec = RunSpec(run_id=request.run_id, prompt=request.prompt, workdir=wt.path, home=home, model=request.model, env=expanded,
                       args=request.args, max_turns=request.limits.max_turns, options={**request.options, "bin": str(binary)})
        inv = h.build(spec)
        inv = Invocation(argv=(str(binary), *inv.argv[1:]) if inv.argv and inv.argv[0] == h.binary else inv.argv,
                         env=inv.env, files=inv.files, stdin=inv.stdin)
        env = minimal_env({**passed, **inv.env, **expanded}, home, self.environ)
        log = BoundedLog(run_dir / "output.log", self.runtime.log_max_bytes, resolved.secrets)
        events_log = BoundedLog(run_dir / "events.jsonl", self.runtime.log_max_bytes, resolved.secrets)

        async def started(pid: int) -> None:
            await on_started(RunStarted(pid, wt.branch, str(wt.path), wt.base_commit, str(log.path)))

        async def record(event: AgentEvent) -> None:
            events_log.write_line(json.dumps({"kind": event_kind(event), **asdict(event)}, default=str))
            await on_event(event)

        try:
            outcome = await process.supervise(inv, wt.path, env, h.parser(), request.limits, log, record, heartbeat,
                                              self.runtime.heartbeat_seconds, on_spawn=started)
        finally:
            log.close()
            events_log.close()
        scratch = tuple(getattr(h, "scratch_paths", ()))  # optional: files a harness leaves that are never part of the change
        message = request.commit_message or f"overseer run {request.run_id}"
        head = await asyncio.to_thread(self.worktrees.commit_all, wt, message, scratch)
        diff = await asyncio.to_thread(self.worktrees.diff_stat, wt) if head else {}
        return RunReport(reason=outcome.reason, exit_code=outcome.exit_code, head_commit=head, diff_stat=diff,
                         tokens_in=outcome.tokens_in, tokens_out=outcome.tokens_out, cost_usd=outcome.cost_usd, turns=outcome.turns,
                         session_id=outcome.session_id, result_text=outcome.result_text or "", error=outcome.error,
                         rate_limit_reset_at=outcome.rate_limit_reset_at)

    def _prepare(self, request: RunRequest) -> Worktree:
        wt = self.worktrees.create(request.run_id, request.base_branch)
        self.worktrees.setup(wt, self.runtime.setup, self.environ)
        return wt

    # -- afterwards ------------------------------------------------------------------------------------
    def discard(self, run_id: str, *, delete_branch: bool) -> None:
        path = self.worktrees.root / run_id
        if path.exists():
            self.worktrees.remove(Worktree(path.resolve(), BRANCH_PREFIX + run_id, ""), delete_branch)

    def alive(self, pid: int) -> bool:
        return process.process_alive(pid)

    def gc(self, active: set[str]) -> list[str]:
        gc = self.runtime.gc
        removed = self.worktrees.gc(active, gc.max_age_hours * 3600, int(gc.disk_cap_mb * 1024 * 1024))
        for path in removed:
            home = self.run_dir(path.name) / "home"
            if home.exists():
                shutil.rmtree(home, ignore_errors=True)
        return [str(p) for p in removed]

