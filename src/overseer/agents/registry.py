"""Harnesses chosen by name: built-in short names plus the entry-point group ``overseer.harnesses``.

    harness = get_harness("claude-code", profile_options={"base_url": "http://127.0.0.1:8080"})
    path = find_binary(harness, [root / ".tools" / "bin", root / ".tools" / "node_modules" / ".bin"])
    version = harness_version(path) if path else None

An outside package adds one with, in its ``pyproject.toml``::

    [project.entry-points."overseer.harnesses"]
    my-agent = "my_package.harness:MyAgent"

The class is called with ``options=`` (the profile's options) and must satisfy ``overseer.ports.Harness``.
A built-in name always wins over an entry point of the same name.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from overseer.domain import ValidationError
from overseer.ports import Harness

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "find_binary", "get_harness", "harness_version", "known_harnesses"]

ENTRY_POINT_GROUP = "overseer.harnesses"
BUILTIN: dict[str, str] = {
    "claude-code": "overseer.agents.claude_code:ClaudeCode",
    "codex": "overseer.agents.codex:Codex",
    "aider": "overseer.agents.aider:Aider",
    "opencode": "overseer.agents.opencode:OpenCode",
    "gemini": "overseer.agents.gemini:Gemini",
    "mini-swe-agent": "overseer.agents.mini_swe_agent:MiniSweAgent",
    "command": "overseer.agents.command:Command",
}


def known_harnesses() -> dict[str, str]:
    """Every harness name and the dotted path (``module:Class``) it loads, built-ins first."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**BUILTIN, **{name: path for name, path in sorted(found.items()) if name not in BUILTIN}}


@functools.cache
def _plugins() -> dict[str, str]:
    """Entry points are read once per process: scanning installed distributions costs ~10 ms a time."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def get_harness(name: str, profile_options: Mapping[str, Any] | None = None) -> Harness:
    """The harness called ``name``, built with the profile's options."""
    path = BUILTIN.get(name) or _plugins().get(name)
    if path is None:  # installed since the first look? scan once more before refusing
        _plugins.cache_clear()
        path = _plugins().get(name)
    if path is None:
        raise ValidationError("harness", f"unknown harness {name!r} (known: {', '.join(known_harnesses())})")
    factory = _load(name, path)
    harness = factory(options=dict(profile_options or {}))
    if not isinstance(harness, Harness):
        raise ValidationError("harness", f"harness {name!r} ({path}) does not provide name, binary, credential_env, build() and parser()")
    return harness


def _load(name: str, path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            target = getattr(target, part)
    except (ImportError, AttributeError) as err:
        raise ValidationError("harness", f"harness {name!r} points at {path}, which cannot be loaded: {err}") from err
    if not callable(target):
        raise ValidationError("harness", f"harness {name!r} points at {path}, which is not a class")
    return target


def find_binary(harness: Harness | str, bin_dirs: Sequence[Path | str] = ()) -> Path | None:
    """Where the harness's binary is: the first of ``bin_dirs`` that has it (pinned tools first), else PATH.

    A binary given as a path (``/opt/agent/run``, ``./agent``) is checked as it stands.
    """
    binary = harness if isinstance(harness, str) else harness.binary
    if not binary:
        return None
    if os.sep in binary:
        path = Path(binary)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for folder in bin_dirs:
        candidate = Path(folder) / binary
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(binary)
    return Path(found) if found else None


def harness_version(path: Path | str, timeout: float = 15.0) -> str | None:
    """The first line ``<binary> --version`` prints, or None when it fails, says nothing or takes too long.

    The binary runs in its own process group, so a CLI that hangs is killed with everything it started.
    """
    try:
        proc = subprocess.Popen(
            [str(path), "--version"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None
    if proc.returncode != 0:
        return None
    return next((line.strip() for line in out.splitlines() if line.strip()), None)
