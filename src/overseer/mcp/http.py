"""MCP over streamable HTTP inside ``overseer serve``: ``mount(app, sup)`` adds ``/mcp`` to the API's app.

``/mcp`` sits behind the API's guard like every route: posting to it (every MCP request is a POST) needs
``Authorization: Bearer <token>``; the SDK adds its own DNS-rebinding check of ``Host`` and ``Origin`` when the server is
bound to loopback. The SDK's session manager must run while the app serves and runs only once per instance, so each
lifespan of the app starts a fresh one, inside the API's own lifespan.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from overseer.mcp.server import build_server
from overseer.service import Supervisor

PATH = "/mcp"


class HttpEndpoint:
    """The streamable HTTP transport as one ASGI endpoint: sessions are served while ``running()`` is entered."""

    def __init__(self, server: MCPServer, *, host: str) -> None:
        self.server, self.host = server, host
        self._manager: StreamableHTTPSessionManager | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.server.streamable_http_app(streamable_http_path=PATH, host=self.host)  # a new session manager for this run
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._manager is None:
            response = JSONResponse({"title": "Service unavailable", "status": 503,
                                     "detail": "the MCP endpoint is not running (the app's lifespan has not started)"}, status_code=503)
            await response(scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)


def mount(app: Starlette, sup: Supervisor, *, host: str = "127.0.0.1") -> HttpEndpoint:
    """Serve the MCP server of ``sup`` at ``/mcp`` of ``app``, its session manager started and stopped with the app."""
    endpoint = HttpEndpoint(build_server(sup), host=host)
    app.router.routes.append(Route(PATH, endpoint=endpoint, name="mcp"))
    outer = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[Any]:
        async with outer(instance) as state, endpoint.running():
            yield state

    app.router.lifespan_context = lifespan
    return endpoint
