"""What every tool shares: who is calling, refusals turned into tool errors, and registration with hints.

A tool refuses with an ``OverseerError``; the model reads ``<Kind>: <message>`` as the tool's error result (the message
names the id that was not found, or the field at fault). Anything else escaping a tool is a bug: the SDK logs it and the
model sees only ``Error executing tool <name>``. Either way the server goes on.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from overseer.domain import OverseerError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_ACTOR = "mcp"
_UNSAFE = re.compile(r"[^A-Za-z0-9._@/-]+")


def caller(ctx: Context | None) -> str:
    """The actor recorded for a mutation: ``mcp:<client name>`` when the client introduced itself, else ``mcp``."""
    try:
        params = ctx.session.client_params if ctx is not None else None
    except (ValueError, AttributeError):  # no request behind the context (a direct call)
        params = None
    name = _UNSAFE.sub("-", params.client_info.name if params is not None else "").strip("-")[:48]
    return f"{DEFAULT_ACTOR}:{name}" if name else DEFAULT_ACTOR


def refusals(fn: F) -> F:
    """Raise an ``OverseerError`` from ``fn`` as a ``ToolError`` carrying its kind and message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OverseerError as err:
            raise ToolError(f"{type(err).__name__}: {err}") from err

    return wrapper  # type: ignore[return-value]


def add(server: MCPServer, fn: Callable[..., Any], *, title: str, read_only: bool = False, destructive: bool = False,
        idempotent: bool = False, open_world: bool = False) -> None:
    """Register ``fn`` under its own name, its docstring as the description a model reads, with behaviour hints."""
    hints = ToolAnnotations(title=title, read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent,
                            open_world_hint=open_world)
    server.add_tool(refusals(fn), name=fn.__name__, title=title, description=prose(fn.__doc__ or ""), annotations=hints)


def prose(doc: str) -> str:
    """A docstring as a model should read it: its paragraphs, each on one line."""
    return "\n\n".join(" ".join(line.strip() for line in para.splitlines()) for para in inspect.cleandoc(doc).split("\n\n"))
