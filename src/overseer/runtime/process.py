"""Supervising one agent process: its own process group, output logged and parsed, limits enforced.

How ``supervise`` decides the reason, first match wins:

* cannot start (binary missing, files not writable)                 -> SPAWN_ERROR (returned, never raised)
* ``Result(success=True)`` and exit 0, or killed lingering after it  -> COMPLETED
* a ``RateLimit`` event, an ``ErrorEvent`` with status 429, or a
  failed ``Result`` whose text says 429                              -> RATE_LIMITED
* a limit killed it: no output (stdout or stderr) for stall_seconds -> STALL_TIMEOUT; longer than wall_seconds
  -> WALL_TIMEOUT; more turns than max_turns -> MAX_TURNS; cost above max_cost_usd -> COST_CAP; ``cancel`` set
  -> CANCELLED
* ``Result(success=False)``                                          -> AGENT_ERROR
* a non-zero exit (with a successful ``Result`` or none)             -> EXIT_CODE
* no ``Result`` and exit 0 (parsers that need one emit it in ``finish``) -> COMPLETED

Turns: consecutive assistant ``TextEvent``/``ToolUse`` events are one turn (a ``ToolResult`` or non-assistant
text ends it); ``Result.turns`` replaces the count. Cost: ``Cost(cumulative=True)`` and ``Result.cost_usd``
replace the total, ``Cost(cumulative=False)`` adds. Limits apply until a ``Result`` arrives; then the process
has ``exit_grace_seconds`` to exit. Kills and the end of every run signal the whole process group (SIGTERM,
``kill_grace_seconds``, SIGKILL): no grandchild outlives a run. stderr lines are logged and fed to the parser
with ``STDERR_PREFIX``. Events are masked before they are counted or passed on. Output is read in chunks, so
a line of any length is fine (past ``MAX_LINE_BYTES`` it is cut).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import signal
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from overseer.domain.runs import AgentEvent, Cost, ErrorEvent, ExitReason, RateLimit, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from overseer.ports import Invocation, Limits, StreamParser
from overseer.process_groups import kill_group, process_alive, signal_group
from overseer.runtime.logs import BoundedLog

__all__ = ["MAX_LINE_BYTES", "STDERR_PREFIX", "Limits", "Outcome", "kill_group", "process_alive", "supervise"]

STDERR_PREFIX = "[stderr] "
NOTE_PREFIX = "[overseer] "
MAX_LINE_BYTES = 64 << 20
_CHUNK = 1 << 16
_TICK = 0.1
_DRAIN_SECONDS = 5.0
_SAYS_429 = re.compile(r"\b429\b")
EventCallback = Callable[[AgentEvent], Awaitable[None] | None]


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None
    reason: ExitReason
    events_count: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    session_id: str | None = None
    result_text: str | None = None
    error: str | None = None
    pid: int | None = None
    rate_limit_reset_at: datetime | None = None


async def supervise(inv: Invocation, cwd: Path, env: Mapping[str, str], parser: StreamParser, limits: Limits, log: BoundedLog,
                    on_event: EventCallback | None = None, heartbeat: Callable[[], Awaitable[None]] | None = None,
                    heartbeat_seconds: float = 15, cancel: asyncio.Event | None = None,
                    on_spawn: Callable[[int], Awaitable[None] | None] | None = None) -> Outcome:
    """Run ``inv`` in ``cwd`` with ``env`` (``inv.env`` over it) until it exits or a limit kills its process group.

    ``on_spawn(pid)`` is called once the process runs (its pid is its process group id). Exceptions from the
    callbacks are written to the log and the run goes on; cancelling the task kills the group at once.
    """
    try:
        if not inv.argv:
            raise ValueError("the invocation has no argv")
        for path, content in inv.files.items():
            target = path if path.is_absolute() else cwd / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *inv.argv, cwd=cwd, env={**env, **inv.env}, start_new_session=True, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE if inv.stdin is not None else asyncio.subprocess.DEVNULL)
    except (OSError, ValueError) as err:
        message = log.mask(f"cannot start {inv.argv[0] if inv.argv else '(nothing)'!r}: {err}")
        log.write_line(NOTE_PREFIX + message)
        return Outcome(exit_code=None, reason=ExitReason.SPAWN_ERROR, error=message)
    assert proc.stdout is not None and proc.stderr is not None
    watch = _Watch(parser, limits, log, on_event)
    watch.note(f"started pid {proc.pid}: {inv.argv[0]}")
    readers = [asyncio.ensure_future(watch.read(proc.stdout, stderr=False)), asyncio.ensure_future(watch.read(proc.stderr, stderr=True))]
    others = [asyncio.ensure_future(_beat(heartbeat, heartbeat_seconds, watch))] if heartbeat is not None else []
    if inv.stdin is not None and proc.stdin is not None:
        others.append(asyncio.ensure_future(_write_stdin(proc.stdin, inv.stdin)))
    try:
        if on_spawn is not None:
            await watch.call(on_spawn, proc.pid)
        lingered = await watch.until_exit(proc, cancel)
        await kill_group(proc.pid, limits.kill_grace_seconds)  # whatever it left running
        await asyncio.wait(readers, timeout=_DRAIN_SECONDS)  # a process outside the group may still hold the pipe
    except BaseException:  # cancelled: no grace, but reap it so nothing is left open
        signal_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), _DRAIN_SECONDS)
        raise
    finally:
        for task in [*readers, *others]:
            task.cancel()
        await asyncio.gather(*readers, *others, return_exceptions=True)
    await watch.finish(proc.returncode)
    return watch.outcome(proc.returncode, proc.pid, lingered)


class _Watch:
    """The mutable state of one supervision: tallies from the events, the first kill reason, the output clock."""

    def __init__(self, parser: StreamParser, limits: Limits, log: BoundedLog, on_event: EventCallback | None) -> None:
        self.parser, self.limits, self.log, self.on_event = parser, limits, log, on_event
        self.last_output = asyncio.get_running_loop().time()
        self.wake = asyncio.Event()
        self.kill: tuple[ExitReason, str] | None = None
        self.result: Result | None = None
        self.result_at: float | None = None
        self.rate_limit: RateLimit | None = None
        self.rate_limited, self.in_turn = False, False
        self.last_error: str | None = None
        self.session_id: str | None = None
        self.stderr_tail: deque[str] = deque(maxlen=3)
        self.events = self.turns = self.tokens_in = self.tokens_out = 0
        self.cumulative: dict[str | None, tuple[int, int]] = {}  # latest cumulative usage per model
        self.cost = 0.0

    async def read(self, stream: asyncio.StreamReader, stderr: bool) -> None:
        pending = bytearray()
        while chunk := await stream.read(_CHUNK):
            self.last_output = asyncio.get_running_loop().time()
            pending += chunk
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                cut += len(pending) - len(chunk) + 1
                await self.lines(bytes(pending[:cut]), stderr)
                del pending[:cut]
            elif len(pending) >= MAX_LINE_BYTES:
                await self.lines(bytes(pending) + b"\n", stderr)
                pending.clear()
        if pending:
            await self.lines(bytes(pending) + b"\n", stderr)

    async def lines(self, block: bytes, stderr: bool) -> None:
        """Log and parse a block of whole lines, each ending with a newline."""
        lines = block.split(b"\n")[:-1]
        prefix = STDERR_PREFIX.encode()
        self.log.write(b"".join(prefix + line + b"\n" for line in lines) if stderr else block)
        for raw in lines:
            text = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
            if stderr:
                self.stderr_tail.append(self.log.mask(text))
                text = STDERR_PREFIX + text
            try:
                events = self.parser.feed(text)
            except Exception as err:
                self.note(f"the parser failed on a line: {err!r}")
                continue
            await self.emit(events)

    async def finish(self, exit_code: int | None) -> None:
        try:
            events = self.parser.finish(exit_code)
        except Exception as err:
            self.note(f"the parser failed at the end: {err!r}")
            return
        await self.emit(events)

    async def emit(self, events: list[AgentEvent]) -> None:
        for event in events:
            event = self.log.masker.event(event)
            self.events += 1
            self.tally(event)
            self.check_limits()
            if self.on_event is not None:
                await self.call(self.on_event, event)

    async def call(self, callback: Callable[[Any], Awaitable[None] | None], arg: Any) -> None:
        try:
            pending = callback(arg)
            if inspect.isawaitable(pending):
                await pending
        except Exception as err:
            self.note(f"{getattr(callback, '__name__', 'a callback')} failed: {err!r}")

    def tally(self, event: AgentEvent) -> None:
        if isinstance(event, TextEvent | ToolUse):
            assistant = isinstance(event, ToolUse) or event.role == "assistant"
            if assistant and not self.in_turn:
                self.turns += 1
            self.in_turn = assistant
        elif isinstance(event, ToolResult):
            self.in_turn = False
        elif isinstance(event, Usage) and event.cumulative:
            self.cumulative[event.model] = (event.tokens_in, event.tokens_out)
        elif isinstance(event, Usage):
            self.tokens_in, self.tokens_out = self.tokens_in + event.tokens_in, self.tokens_out + event.tokens_out
        elif isinstance(event, Cost):
            self.cost = event.usd if event.cumulative else self.cost + event.usd
        elif isinstance(event, RateLimit):
            self.rate_limit, self.rate_limited = event, True
        elif isinstance(event, ErrorEvent):
            self.last_error, self.rate_limited = event.message, self.rate_limited or event.status == 429
        elif isinstance(event, Started):
            self.session_id = event.session_id or self.session_id
        elif isinstance(event, Result):
            self.result, self.result_at = event, asyncio.get_running_loop().time()
            self.session_id = event.session_id or self.session_id
            self.turns = event.turns if event.turns is not None else self.turns
            self.cost = event.cost_usd if event.cost_usd is not None else self.cost
            if event.tokens_in is not None or event.tokens_out is not None:  # the run's totals
                self.cumulative, self.tokens_in, self.tokens_out = {None: (event.tokens_in or 0, event.tokens_out or 0)}, 0, 0
            self.rate_limited = self.rate_limited or (not event.success and bool(_SAYS_429.search(event.text)))

    def check_limits(self) -> None:
        turns, cost = self.limits.max_turns, self.limits.max_cost_usd
        if self.result is not None:
            return
        if turns is not None and self.turns > turns:
            self.stop(ExitReason.MAX_TURNS, f"{self.turns} turns, more than max_turns {turns}")
        elif cost is not None and self.cost > cost:
            self.stop(ExitReason.COST_CAP, f"cost ${self.cost:.4f} is above max_cost_usd ${cost:g}")

    def stop(self, reason: ExitReason, detail: str) -> None:
        if self.kill is None:
            self.kill = (reason, detail)
            self.wake.set()

    def note(self, text: str) -> None:
        self.log.write_line(NOTE_PREFIX + self.log.mask(text))

    async def until_exit(self, proc: asyncio.subprocess.Process, cancel: asyncio.Event | None) -> bool:
        """Wait for the process, killing its group once a limit is passed; True if killed lingering after its Result."""
        loop, limits = asyncio.get_running_loop(), self.limits
        start, lingered = loop.time(), False
        exited, woken = asyncio.ensure_future(proc.wait()), asyncio.ensure_future(self.wake.wait())
        try:  # proc.returncode, not proc.wait(): wait() also waits for the pipes, which a grandchild may hold
            while proc.returncode is None and self.kill is None and not lingered:
                now = loop.time()
                if self.result_at is not None:
                    lingered = now - self.result_at > limits.exit_grace_seconds
                elif cancel is not None and cancel.is_set():
                    self.stop(ExitReason.CANCELLED, "cancelled")
                elif now - self.last_output > limits.stall_seconds:
                    self.stop(ExitReason.STALL_TIMEOUT, f"no output for {limits.stall_seconds:g} s (stall_seconds)")
                elif now - start > limits.wall_seconds:
                    self.stop(ExitReason.WALL_TIMEOUT, f"still running after {limits.wall_seconds:g} s (wall_seconds)")
                if proc.returncode is None and self.kill is None and not lingered:
                    # every pass waits, also after the Result: the exit is only noticed when the loop gets to run
                    await asyncio.wait({exited, woken}, timeout=_TICK, return_when=asyncio.FIRST_COMPLETED)
            if proc.returncode is None:
                self.note(f"killing process group {proc.pid}: " + (self.kill[1] if self.kill else "still running after its result"))
                await kill_group(proc.pid, limits.kill_grace_seconds)
                while proc.returncode is None:  # SIGKILL was sent: only reaping is left
                    await asyncio.sleep(_TICK / 2)
        finally:
            woken.cancel()
            exited.cancel()
        return lingered

    def outcome(self, exit_code: int | None, pid: int, lingered: bool) -> Outcome:
        reason, error = self.decide(exit_code, lingered)
        self.note(f"exit code {exit_code}, reason {reason.value}" + (f": {error}" if error else ""))
        return Outcome(
            exit_code=exit_code, reason=reason, events_count=self.events, cost_usd=self.cost, turns=self.turns,
            tokens_in=self.tokens_in + sum(t[0] for t in self.cumulative.values()),
            tokens_out=self.tokens_out + sum(t[1] for t in self.cumulative.values()),
            session_id=self.session_id, result_text=self.result.text if self.result else None, error=error, pid=pid,
            rate_limit_reset_at=self.rate_limit.reset_at if self.rate_limit else None)

    def decide(self, exit_code: int | None, lingered: bool) -> tuple[ExitReason, str | None]:
        result = self.result
        if result is not None and result.success and (exit_code == 0 or lingered):
            return ExitReason.COMPLETED, None
        if self.rate_limited:
            return ExitReason.RATE_LIMITED, self.rate_limit.message if self.rate_limit else (self.last_error or "rate limited (429)")
        if self.kill is not None:
            return self.kill
        if result is not None and not result.success:
            return ExitReason.AGENT_ERROR, result.text or self.last_error or f"the agent failed and {_describe(exit_code)}"
        if exit_code == 0:
            return ExitReason.COMPLETED, None
        said = "reported success but " if result is not None else ""
        last = f"; last stderr: {self.stderr_tail[-1]}" if self.stderr_tail else ""
        return ExitReason.EXIT_CODE, f"the agent {said}{_describe(exit_code)}{last}"


def _describe(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        return f"was killed by signal {-exit_code} ({signal.Signals(-exit_code).name})"
    return f"exited with code {exit_code}"


async def _write_stdin(stdin: asyncio.StreamWriter, text: str) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(text.encode("utf-8"))
        await stdin.drain()
    stdin.close()


async def _beat(heartbeat: Callable[[], Awaitable[None]], every: float, watch: _Watch) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await heartbeat()
        except Exception as err:
            watch.note(f"heartbeat failed: {err!r}")


# -- process groups (for restart recovery too: a run's pid is its process group id) ---------------------
