"""``create_app``: the FastAPI application — the REST API under ``/api/v1``, the dashboard, ``/metrics``.

Routers are listed in ``ROUTERS``; each module holds one noun. The dashboard (``overseer.web``) mounts on top.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from overseer import __version__
from overseer.api import problems
from overseer.api.auth import Auth, BodyTooLarge, GuardMiddleware
from overseer.api.context import ApiSettings, AppContext
from overseer.service import Supervisor

API = "/api/v1"
ROUTERS = ("health", "tasks", "runs", "approvals", "plans", "providers", "audit", "events", "metrics")

DESCRIPTION = """Overseer's REST API: the task graph, runs and their verification, approvals, plans, providers and quota, cost,
audit reports and the event log (paged, and live as server-sent events).

Mutating calls need `Authorization: Bearer <token>` (the token is `$OVERSEER_API_TOKEN` or `.overseer/api_token`);
reads need it too when the server is bound to anything but loopback. Errors are `application/problem+json` and name
the field at fault."""


def create_app(sup: Supervisor, auth: Auth, settings: ApiSettings = ApiSettings(), *, ctx: AppContext | None = None) -> FastAPI:
    """The API alone; ``overseer.server.build_app`` adds the dashboard (``overseer.web.mount``)."""
    ctx = ctx or AppContext(sup, auth, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ctx.broker.start()
        try:
            yield
        finally:
            await ctx.broker.stop()

    app = FastAPI(title="Overseer", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url="/docs", openapi_url=f"{API}/openapi.json", redoc_url=None)
    app.state.ctx = ctx
    problems.install(app)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problems.problem(413, "Payload too large", str(exc), instance=request.url.path)

    for name in ROUTERS:
        module = importlib.import_module(f"overseer.api.routes.{name}")
        app.include_router(module.router, prefix="" if name == "metrics" else API)
    app.add_middleware(GuardMiddleware, auth=auth, max_body_bytes=settings.max_body_bytes)
    return app
