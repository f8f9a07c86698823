"""Process groups: ending a whole group (TERM, a grace period, then KILL) and telling whether a process lives.

Zombies do not count as alive where /proc can tell: in a container whose PID 1 does not reap orphans, a
finished grandchild would otherwise keep a group "alive" until the grace period ran out.
"""

from __future__ import annotations

import asyncio
import os
import signal

__all__ = ["group_alive", "kill_group", "process_alive", "signal_group"]


async def kill_group(pid: int, grace: float = 5.0) -> bool:
    """SIGTERM to process group ``pid``, up to ``grace`` seconds for it to end, then SIGKILL. False if it was gone."""
    if not group_alive(pid) or not signal_group(pid, signal.SIGTERM):
        return False
    deadline = asyncio.get_running_loop().time() + grace
    while group_alive(pid) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    if group_alive(pid):
        signal_group(pid, signal.SIGKILL)
    return True


def process_alive(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _stat(pid)[0] != "Z"


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def group_alive(pgid: int) -> bool:
    """True while a process of group ``pgid`` runs (zombies do not count where /proc can tell)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc/self"):
        return True
    with os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                state, group = _stat(int(entry.name))
                if group == pgid and state not in ("Z", "X"):
                    return True
    return False


def _stat(pid: int) -> tuple[str, int | None]:
    """State letter and process group of ``pid`` from /proc ("?" and None where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as file:
            rest = file.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[2])
    except (OSError, IndexError, ValueError):
        return "?", None
