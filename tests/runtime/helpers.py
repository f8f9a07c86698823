"""Small pieces the runtime tests share: git as a person would run it, a JSON-lines parser, a script runner."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from overseer.domain.runs import AgentEvent, Cost, ErrorEvent, RateLimit, Result, TextEvent, ToolResult, ToolUse, Usage
from overseer.ports import Invocation
from overseer.runtime.logs import BoundedLog
from overseer.runtime.process import Limits, Outcome, supervise


def run_git(cwd: Path, *args: str) -> str:
    """``git args`` as a person in ``cwd``; the output, or AssertionError with git's message."""
    proc = subprocess.run(["git", "-c", "user.name=Tester", "-c", "user.email=tester@example.com", *args],
                          cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


class JsonLines:
    """A trivial parser: one JSON object per line, ``{"type": ...}``; other lines are kept but give no events."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.exit_codes: list[int | None] = []

    def feed(self, line: str) -> list[AgentEvent]:
        self.lines.append(line)
        try:
            data = json.loads(line)
        except ValueError:
            return []
        kind = data.pop("type")
        if kind == "text":
            return [TextEvent(**data)]
        if kind == "tool_use":
            return [ToolUse(**data)]
        if kind == "tool_result":
            return [ToolResult(**data)]
        if kind == "usage":
            return [Usage(**data)]
        if kind == "cost":
            return [Cost(**data)]
        if kind == "rate_limit":
            return [RateLimit(data["message"], datetime.fromisoformat(data["reset_at"]) if data.get("reset_at") else None)]
        if kind == "error":
            return [ErrorEvent(**data)]
        if kind == "result":
            return [Result(**data)]
        raise ValueError(f"unknown type {kind}")

    def finish(self, exit_code: int | None) -> list[AgentEvent]:
        self.exit_codes.append(exit_code)
        return []


def emit(**event: Any) -> str:
    """Python source that prints one JSON event line and flushes."""
    return f"print({json.dumps(json.dumps(event))}, flush=True)\n"


class Agent:
    """Runs a small Python script as the agent under ``supervise`` and keeps what came out."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.parser = JsonLines()
        self.events: list[AgentEvent] = []
        self.log_path = tmp / "logs" / "run.log"

    def run(self, script: str, limits: Limits | None = None, *, env: Mapping[str, str] | None = None, max_bytes: int = 1_000_000,
            secrets: tuple[str, ...] = (), invocation: Invocation | None = None,
            heartbeat: Callable[[], Awaitable[None]] | None = None, heartbeat_seconds: float = 15,
            on_spawn: Callable[[int], None] | None = None) -> Outcome:
        inv = invocation or Invocation(argv=(sys.executable, "-c", script))
        limits = limits or Limits(stall_seconds=10, wall_seconds=30)
        base_env = dict(env) if env is not None else {"PATH": "/usr/bin:/bin"}

        async def main() -> Outcome:
            with BoundedLog(self.log_path, max_bytes, secrets) as log:
                return await supervise(inv, self.tmp, base_env, self.parser, limits, log, on_event=self.events.append,
                                       heartbeat=heartbeat, heartbeat_seconds=heartbeat_seconds, on_spawn=on_spawn)

        return asyncio.run(main())

    @property
    def log(self) -> bytes:
        return self.log_path.read_bytes()
