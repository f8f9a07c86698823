"""Running one check command: its own process group, stdin closed, output kept bounded, the group killed at the timeout.

    done = run(["ruff", "check", "calc.py"], cwd=tree, timeout=60)
    done.exit_code, done.output, done.timed_out

A command is an argv list (no shell) or a string (run by ``/bin/sh -c``). When it ends, or its timeout passes, every
process left in its group gets SIGTERM, ``grace`` seconds, then SIGKILL: nothing it started outlives the check.
Output past ``max_output`` bytes keeps its head and its tail. A command that cannot start raises ``ToolError``.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from overseer.process_groups import group_alive, signal_group

__all__ = ["Completed", "ToolError", "find_tool", "run", "tool_version"]

MAX_OUTPUT = 200_000
_CHUNK = 1 << 16
_DRAIN_SECONDS = 1.0  # after the command exits, how long a grandchild may keep its output open
_KILL_WAIT_SECONDS = 5.0  # after SIGKILL, how long the kernel gets to tear the group down
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[.\-+]?[0-9A-Za-z]+)*")


_VERSIONS: dict[tuple[tuple[str, ...], int], str] = {}


class ToolError(RuntimeError):
    """A check command that cannot start (binary missing, directory gone)."""


@dataclass(frozen=True)
class Completed:
    exit_code: int | None     # None when it was killed at the timeout
    output: str               # stdout, with stderr merged in unless asked apart
    timed_out: bool
    duration_s: float
    pid: int = 0              # also the process group id
    stderr: str = ""          # only with ``merge_stderr=False``

    def tail(self, lines: int = 15, width: int = 300) -> str:
        """The last non-empty ``lines`` of the output, each cut at ``width`` characters."""
        kept = [ln[:width] for ln in self.output.splitlines() if ln.strip()][-lines:]
        return "\n".join(kept)


class _Bounded:
    """Bytes kept as a head and a tail once more than ``limit`` arrive."""

    def __init__(self, limit: int) -> None:
        self.half = max(1, limit // 2)
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail.append(data)
        self.tail_size += len(data)
        while self.tail_size - len(self.tail[0]) >= self.half:
            self.tail_size -= len(self.tail[0])
            self.dropped += len(self.tail.popleft())

    def text(self) -> str:
        tail = b"".join(self.tail)
        if self.dropped:
            cut = max(0, len(tail) - self.half)
            self.dropped, tail = self.dropped + cut, tail[cut:]
            middle = f"\n[... {self.dropped} bytes of output cut ...]\n".encode()
            return (bytes(self.head) + middle + tail).decode("utf-8", errors="replace")
        return (bytes(self.head) + tail).decode("utf-8", errors="replace")


def run(cmd: Sequence[str] | str, cwd: Path, *, timeout: float, env: Mapping[str, str] | None = None, max_output: int = MAX_OUTPUT,
        merge_stderr: bool = True, grace: float = 2.0) -> Completed:
    """Run ``cmd`` in ``cwd`` until it exits or ``timeout`` seconds pass, then end whatever is left of its group."""
    shell = isinstance(cmd, str)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=dict(env) if env is not None else None, shell=shell,  # nosec B602: a configured command
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, start_new_session=True)
    except OSError as err:
        what = cmd if shell else " ".join(cmd)
        raise ToolError(f"cannot start `{what}` in {cwd}: {err.strerror or err}") from err
    out, err_out = _Bounded(max_output), _Bounded(max_output)
    timed_out = _pump(proc, {proc.stdout: out, proc.stderr: err_out}, started + timeout)
    _end_group(proc, grace)
    return Completed(exit_code=None if timed_out else proc.returncode, output=out.text(), timed_out=timed_out,
                     duration_s=time.monotonic() - started, pid=proc.pid, stderr=err_out.text())


def _pump(proc: subprocess.Popen[bytes], sinks: Mapping[IO[bytes] | None, _Bounded], deadline: float) -> bool:
    """Read the pipes until they close (or the command exited and its stragglers had their drain time). True: timed out."""
    with selectors.DefaultSelector() as sel:
        for pipe, sink in sinks.items():
            if pipe is not None:
                sel.register(pipe, selectors.EVENT_READ, sink)
        exited_at: float | None = None
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                return proc.poll() is None
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _DRAIN_SECONDS:
                break
            for key, _ in sel.select(timeout=min(0.2, deadline - now)):
                data = os.read(key.fd, _CHUNK)
                if data:
                    key.data.add(data)
                else:
                    sel.unregister(key.fileobj)
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return True
    return False


def _end_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to what is left of the group, up to ``grace`` seconds for it to end, then SIGKILL; returns once it is gone."""
    pgid = proc.pid
    if proc.poll() is None or group_alive(pgid):
        signal_group(pgid, signal.SIGTERM)
        _wait_gone(proc, grace)
        signal_group(pgid, signal.SIGKILL)
        _wait_gone(proc, _KILL_WAIT_SECONDS)
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def _wait_gone(proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (proc.poll() is None or group_alive(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.02)


def find_tool(name: str) -> str | None:
    """Where the tool ``name`` is: next to this interpreter (the tools installed with Overseer) first, then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def tool_version(argv: Sequence[str], timeout: float = 15.0) -> str | None:
    """The version ``argv`` (``[tool, "--version"]``) prints, or None when it fails, says nothing or takes too long.

    Remembered per binary until the file changes (asking costs a process start each time).
    """
    try:
        key = (tuple(argv), os.stat(argv[0]).st_mtime_ns)
    except (OSError, IndexError):
        key = None
    if key is not None and key in _VERSIONS:
        return _VERSIONS[key]
    found = _ask_version(argv, timeout)
    if key is not None and found is not None:
        _VERSIONS[key] = found
    return found


def _ask_version(argv: Sequence[str], timeout: float) -> str | None:
    try:
        done = run(list(argv), Path.cwd(), timeout=timeout, max_output=8192)
    except ToolError:
        return None
    if done.timed_out or done.exit_code != 0:
        return None
    found = _VERSION.search(done.output)
    if found:
        return found.group(0)
    first = next((ln.strip() for ln in done.output.splitlines() if ln.strip()), "")
    return first or None
