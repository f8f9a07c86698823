"""The script: what the model answers, turn by turn.

A ``Script`` holds a queue of replies, each optionally keyed on a substring of the last user message. Every
model request takes the first queued reply whose key matches (an unkeyed reply matches anything); when none
matches, the default rule answers from the conversation (see ``Script.default_reply``):

* the last message carries a tool result   -> final text (``final_text``);
* a file-writing tool is offered           -> call it to write ``path`` with ``content``;
* no tools                                  -> plain text in aider's whole-file format.

Replies are ``Text``, ``ToolCall`` (an exact tool call), ``WriteFile`` (write a file through whatever write
tool the harness offers) and ``HttpError`` (a status with headers and body, e.g. ``HttpError.rate_limited()``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["HttpError", "Reply", "Script", "Text", "Tool", "ToolCall", "Turn", "WriteFile", "whole_file"]


@dataclass(frozen=True)
class Text:
    """A plain assistant message that ends the turn."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """Call ``name`` with ``arguments`` exactly as given; ``text`` is an optional message before the call."""

    name: str
    arguments: Mapping[str, Any]
    text: str = ""


@dataclass(frozen=True)
class WriteFile:
    """Write ``path`` with ``content`` through the write tool the harness offers (``Write``, ``write``,
    ``write_file``, ``exec_command``, ``shell``...). A relative path is joined to the working directory the
    harness states in its prompt, when it states one. With no write tool it becomes whole-file text."""

    path: str
    content: str


@dataclass(frozen=True)
class HttpError:
    """Answer with an HTTP error. ``body=None`` lets each API render its own error shape.

    ``reset_in`` (seconds) adds the reset headers providers send with a rate limit, computed when served:
    ``retry-after``, ``anthropic-ratelimit-unified-reset`` (epoch seconds), ``anthropic-ratelimit-requests-reset``
    (RFC 3339), ``x-ratelimit-reset-requests`` (``30s``)."""

    status: int
    message: str = "scripted error"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | str | None = None
    reset_in: float | None = None

    @classmethod
    def rate_limited(cls, reset_in: float = 60, message: str = "scripted rate limit: try again later") -> HttpError:
        return cls(429, message, reset_in=reset_in)

    @classmethod
    def server_error(cls, status: int = 500, message: str = "scripted server error") -> HttpError:
        return cls(status, message)

    def headers_at(self, now: float) -> dict[str, str]:
        headers = dict(self.headers)
        if self.reset_in is not None:
            reset = now + self.reset_in
            headers.setdefault("retry-after", str(max(0, round(self.reset_in))))
            headers.setdefault("anthropic-ratelimit-unified-reset", str(int(reset)))
            headers.setdefault("anthropic-ratelimit-requests-reset", datetime.fromtimestamp(reset, UTC).isoformat())
            headers.setdefault("x-ratelimit-reset-requests", f"{max(0, round(self.reset_in))}s")
        return headers


Reply = Text | ToolCall | WriteFile | HttpError


@dataclass(frozen=True)
class Tool:
    """A tool the harness offers: its name and its JSON-schema parameters."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One model request, reduced to what the script decides on. Each API module builds it from its body."""

    api: str
    model: str
    last_user_text: str = ""
    after_tool_result: bool = False
    tools: tuple[Tool, ...] = ()
    context: str = ""  # system prompt and other text, searched for the working directory

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)


def whole_file(path: str, content: str) -> str:
    """aider's whole-file edit format: the path, then the full content in a fence."""
    body = content if content.endswith("\n") else content + "\n"
    return f"{path}\n```\n{body}```\n"


@dataclass
class _Entry:
    reply: Reply
    when: str | None
    times: int | None  # None: forever


class Script:
    """A queue of replies, keyed or not, over a default rule that writes ``path`` with ``content``.

    Thread-safe: the server calls ``next_reply`` from one thread per request.
    """

    def __init__(self, path: str = "hello.txt", content: str = "hello from the scripted model\n", final_text: str = "Done.") -> None:
        self.path = path
        self.content = content
        self.final_text = final_text
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()

    def add(self, reply: Reply, *, when: str | None = None, times: int | None = 1) -> Script:
        """Queue ``reply`` for the next request whose last user message contains ``when`` (any, if None),
        ``times`` times (``None``: every matching request from now on). Returns the script, to chain."""
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 or None (forever), got {times}")
        with self._lock:
            self._entries.append(_Entry(reply, when, times))
        return self

    def pending(self) -> list[Reply]:
        """Queued replies not yet served, in order."""
        with self._lock:
            return [e.reply for e in self._entries]

    def next_reply(self, turn: Turn) -> Reply:
        """Take the first queued reply matching ``turn``, or fall back to the default rule."""
        with self._lock:
            for entry in self._entries:
                if entry.when is None or entry.when in turn.last_user_text:
                    if entry.times is not None:
                        entry.times -= 1
                        if entry.times == 0:
                            self._entries.remove(entry)
                    return entry.reply
        return self.default_reply(turn)

    def default_reply(self, turn: Turn) -> Reply:
        if turn.after_tool_result:
            return Text(self.final_text)
        return WriteFile(self.path, self.content)
