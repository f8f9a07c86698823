"""Tool conventions of the real harnesses: turning ``WriteFile`` into the call the offered write tool expects.

| harness     | tool           | arguments                      |
|-------------|----------------|--------------------------------|
| Claude Code | ``Write``      | ``{file_path, content}``       |
| OpenCode    | ``write``      | ``{filePath, content}``        |
| Gemini CLI  | ``write_file`` | ``{file_path, content}``       |
| Codex       | ``exec_command`` | ``{cmd}`` (a shell command)  |
| Codex (old) | ``shell``      | ``{command: [bash, -lc, cmd]}`` |
| any other   | a name containing ``write`` whose schema has a path-like property (``write_stdin`` has none) |
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from typing import Any

from overseer.modelserver.script import HttpError, Reply, Text, Tool, ToolCall, Turn, WriteFile, whole_file

__all__ = ["Resolved", "resolve", "working_directory", "write_call"]

Resolved = Text | ToolCall | HttpError

_WRITE_TOOLS = ("Write", "write_file", "write")
_SHELL_TOOLS = ("exec_command", "shell")
_PATH_KEYS = ("file_path", "filePath", "path", "filename", "file")
_CONTENT_KEYS = ("content", "contents", "text", "data")
_WORKDIR_PATTERNS = (
    re.compile(r"[Ww]orking directory:\s*(/[^\s<>`'\"]*)"),
    re.compile(r"<cwd>\s*(/[^<\n]*?)\s*</cwd>"),
    re.compile(r"working in the directory:?\s*(/[^\s<>`'\"]*)"),
    re.compile(r"Workspace Directories:\**\s*\n\s*-\s*(/[^\s<>`'\"]*)"),
)


def resolve(reply: Reply, turn: Turn) -> Resolved:
    """Turn a scripted reply into what goes on the wire: ``WriteFile`` becomes a tool call or whole-file text."""
    if not isinstance(reply, WriteFile):
        return reply
    call = write_call(turn, reply.path, reply.content)
    return call if call is not None else Text(whole_file(reply.path, reply.content))


def write_call(turn: Turn, path: str, content: str) -> ToolCall | None:
    """The call that writes ``path`` through the best write tool ``turn`` offers, or None when it offers none."""
    full = path if posixpath.isabs(path) else _join_workdir(turn, path)
    for name in _WRITE_TOOLS:
        tool = turn.tool(name)
        if tool is not None:
            return ToolCall(tool.name, _write_arguments(tool, full, content))
    for name in _SHELL_TOOLS:
        if turn.tool(name) is not None:
            cmd = shell_write_command(path, content)
            return ToolCall(name, {"cmd": cmd} if name == "exec_command" else {"command": ["bash", "-lc", cmd]})
    generic = next((t for t in turn.tools if "write" in t.name.lower() and _pick(_keys(t), _PATH_KEYS)), None)
    return ToolCall(generic.name, _write_arguments(generic, full, content)) if generic is not None else None


def shell_write_command(path: str, content: str) -> str:
    """A POSIX shell command that writes ``content`` to ``path`` exactly (parent directories created)."""
    parent = posixpath.dirname(path)
    write = f"printf %s {shlex.quote(content)} > {shlex.quote(path)}"
    return f"mkdir -p {shlex.quote(parent)} && {write}" if parent else write


def working_directory(text: str) -> str | None:
    """The working directory a harness states in its prompt: ``Working directory: /x`` (Claude Code, OpenCode),
    ``<cwd>/x</cwd>`` (Codex), a ``- /x`` line under ``**Workspace Directories:**`` (Gemini CLI)."""
    for pattern in _WORKDIR_PATTERNS:
        found = pattern.search(text)
        if found:
            return found.group(1).rstrip(".,;")
    return None


def _join_workdir(turn: Turn, path: str) -> str:
    workdir = working_directory(turn.context)
    return posixpath.join(workdir, path) if workdir else path


def _keys(tool: Tool) -> list[str]:
    properties = tool.parameters.get("properties")
    return list(properties) if isinstance(properties, Mapping) else []


def _write_arguments(tool: Tool, path: str, content: str) -> dict[str, Any]:
    keys = _keys(tool)
    path_key = _pick(keys, _PATH_KEYS) or ("filePath" if tool.name == "write" else "file_path")
    content_key = _pick(keys, _CONTENT_KEYS) or "content"
    return {path_key: path, content_key: content}


def _pick(keys: list[str], wanted: tuple[str, ...]) -> str | None:
    for name in wanted:
        if name in keys:
            return name
    return next((k for k in keys if any(w.lower() in k.lower() for w in wanted)), None)
