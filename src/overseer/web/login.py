"""Signing a browser in: ``/login?token=…`` (the link ``overseer serve`` prints) or the token pasted into the form sets the
session cookie and goes on to the page asked for; ``POST /logout`` ends the session.

``/login`` is open in the guard for every method, so the token is checked here; a wrong one changes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from overseer.api.auth import COOKIE, session_cookie
from overseer.api.context import AppContext, context
from overseer.web.templating import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(context)]
Next = Annotated[str, Query(alias="next", max_length=2000)]


def safe_next(target: str) -> str:
    """Only a path on this server: an absolute URL or ``//host`` would send the user elsewhere after signing in."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def _signed_in(request: Request, ctx: AppContext, target: str) -> RedirectResponse:
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(**session_cookie(ctx.auth, secure=request.url.scheme == "https"))
    return response


def _form(request: Request, target: str, error: str = "", status: int = 200) -> HTMLResponse:
    return page(request, "login.html", {"next": safe_next(target), "error": error}, status=status, title="Sign in", live=False)


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, ctx: Ctx, token: Annotated[str | None, Query(max_length=500)] = None, target: Next = "/") -> Response:
    if token is None:
        return _form(request, target)
    if not ctx.auth.valid(token):
        return _form(request, target, "That token is not this server's.", status=401)
    return _signed_in(request, ctx, target)


@router.post("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Ctx, token: Annotated[str, Form(max_length=500)] = "",
               target: Annotated[str, Form(alias="next", max_length=2000)] = "/") -> Response:
    if not ctx.auth.valid(token.strip()):
        return _form(request, target, "That token is not this server's.", status=401)
    return _signed_in(request, ctx, target)


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
