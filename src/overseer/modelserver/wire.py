"""Wire helpers shared by the API modules: the request and response values, SSE framing, ids, token counts."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from overseer.modelserver.script import HttpError

__all__ = ["Request", "Response", "all_text", "error_response", "json_response", "new_id", "sse", "sse_data", "token_count"]

_ids = itertools.count(1)
# keys whose string values are structure, not conversation text (left out by ``all_text``)
_STRUCTURAL_KEYS = frozenset(
    {"type", "role", "id", "tool_use_id", "call_id", "name", "signature", "cache_control", "status", "media_type", "data"}
)


@dataclass(frozen=True)
class Request:
    """One HTTP request as the API modules see it: the path without the query, the query, the parsed JSON body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any

    @classmethod
    def parse(cls, method: str, raw_path: str, headers: Mapping[str, str], raw_body: bytes) -> Request:
        path, _, query = raw_path.partition("?")
        try:
            body: Any = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode("utf-8", "replace")
        return cls(method, path, dict(parse_qsl(query)), {k.lower(): v for k, v in headers.items()}, body)

    def json_body(self) -> dict[str, Any]:
        """The body when it is a JSON object, else an empty dict (so a bad body gets a reply, not a crash)."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass(frozen=True)
class Response:
    """What the server writes back; ``summary`` says in a few words what was answered (it goes to the log)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""


def json_response(payload: Any, *, status: int = 200, headers: Mapping[str, str] | None = None, summary: str = "") -> Response:
    return Response(status, json.dumps(payload).encode(), "application/json", dict(headers or {}), summary)


def sse(events: Iterable[tuple[str, Mapping[str, Any]]]) -> bytes:
    """Named SSE events (``event: NAME`` then ``data: JSON``), as Anthropic and the Responses API send them."""
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)


def sse_data(chunks: Iterable[Mapping[str, Any] | str]) -> bytes:
    """Unnamed SSE events (``data: JSON`` only), as Chat Completions and Gemini send them; a str goes as is."""
    return b"".join(f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n".encode() for c in chunks)


def new_id(prefix: str) -> str:
    """A unique, readable id such as ``msg_scripted_000007``."""
    return f"{prefix}_scripted_{next(_ids):06d}"


def token_count(value: Any) -> int:
    """A deterministic stand-in for a tokenizer: a quarter of the JSON length (text as is), at least 1."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, len(text) // 4)


def error_response(error: HttpError, default_body: Mapping[str, Any]) -> Response:
    """The scripted error: its own body when it has one, else the API's error shape; reset headers as of now."""
    headers = error.headers_at(time.time())
    summary = f"error {error.status}"
    if isinstance(error.body, str):
        return Response(error.status, error.body.encode(), "text/plain; charset=utf-8", headers, summary)
    return json_response(default_body if error.body is None else error.body, status=error.status, headers=headers, summary=summary)


def all_text(value: Any) -> str:
    """Every string inside a JSON value, one per line: enough to search a conversation for a phrase."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(filter(None, (all_text(v) for k, v in value.items() if k not in _STRUCTURAL_KEYS)))
    if isinstance(value, list):
        return "\n".join(filter(None, (all_text(v) for v in value)))
    return ""
