"""Errors on pages: an unknown id or path is a 404 page (HTML), never a 500; the API keeps its problem+json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from overseer.api.problems import STATUS_FOR
from overseer.domain import OverseerError
from overseer.web.templating import page

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]
API_PREFIXES = ("/api/", "/metrics", "/docs")
TITLES = {404: "Not found", 405: "Method not allowed", 409: "Conflict", 422: "Invalid input", 503: "Unavailable"}


def is_page(request: Request) -> bool:
    """A dashboard request (not the API's): its errors are pages."""
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    title = TITLES.get(status, "Error")
    return page(request, "error.html", {"code": status, "heading": title, "detail": detail}, status=status, title=title, live=False)


def install(app: FastAPI) -> None:
    """Wrap the API's handlers: the same exceptions become an HTML page on dashboard paths."""
    previous_http: Handler | None = app.exception_handlers.get(HTTPException)
    previous_overseer: Handler | None = app.exception_handlers.get(OverseerError)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if is_page(request) or previous_http is None:
            detail = "there is no page here" if exc.status_code == 404 else str(exc.detail)
            return error_page(request, exc.status_code, detail)
        return await _call(previous_http, request, exc)

    async def overseer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OverseerError)
        if is_page(request) or previous_overseer is None:
            status = next((code for cls, code in STATUS_FOR if isinstance(exc, cls)), 400)
            return error_page(request, status, str(exc))
        return await _call(previous_overseer, request, exc)

    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(OverseerError, overseer)


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if isinstance(result, Awaitable) else result
