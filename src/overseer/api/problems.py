"""Errors as RFC 9457 problem+json: ``type``, ``title``, ``status``, ``detail``, ``instance``, and for bad input the
fields at fault (``errors``: ``[{field, message}]``, ``field``: the first of them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from overseer.domain import errors as E

MEDIA_TYPE = "application/problem+json"

# The most specific class first: the first match gives the status.
STATUS_FOR: tuple[tuple[type[E.OverseerError], int], ...] = (
    (E.NotFound, 404),
    (E.CycleError, 409),
    (E.GraphError, 409),
    (E.TransitionError, 409),
    (E.ClaimError, 409),
    (E.ValidationError, 422),
    (E.ConfigError, 500),
    (E.QuotaExhausted, 429),
    (E.RateLimited, 429),
    (E.StoreError, 503),
)


def problem(status: int, title: str, detail: str, *, instance: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": f"about:blank#{status}", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="overseer"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def field_path(loc: Sequence[Any]) -> str:
    """``("body", "budget", "max_attempts")`` -> ``"budget.max_attempts"``; query/path parameters keep their name."""
    parts = [str(p) for p in loc if p not in ("body",)]
    if parts and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return problem(422, "Invalid input", f"{first['field']}: {first['message']}", instance=request.url.path,
                   field=first["field"], errors=errors)


def _http(request: Request, exc: HTTPException) -> JSONResponse:
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response = problem(exc.status_code, titles.get(exc.status_code, "Error"), detail, instance=request.url.path)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def _overseer(request: Request, exc: E.OverseerError) -> JSONResponse:
    status = next((code for cls, code in STATUS_FOR if isinstance(exc, cls)), 400)
    extra: dict[str, Any] = {"error": type(exc).__name__}
    for name in ("field", "task_id", "run_id", "path"):
        value = getattr(exc, name, None)
        if isinstance(value, str | tuple):
            extra[name] = list(value) if isinstance(value, tuple) else value
    return problem(status, type(exc).__name__, str(exc), instance=request.url.path, **extra)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(E.OverseerError, _overseer)  # type: ignore[arg-type]
