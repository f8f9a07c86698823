"""Rendering: one Jinja2 environment (autoescape on), the filters the templates share, and ``page()``, which renders a
whole page or, with ``?fragment=NAME``, one block of it (what the page's script fetches to refresh a live region)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from overseer import __version__
from overseer.api.auth import COOKIE
from overseer.api.context import AppContext, context
from overseer.domain import OverseerError, TaskStatus, utcnow
from overseer.ports import TaskQuery

STATIC = Path(__file__).with_name("static")
NAV = (("board", "/", "Board"), ("approvals", "/approvals", "Approvals"), ("plans", "/plans", "Plans"),
       ("providers", "/providers", "Providers"), ("cost", "/cost", "Cost"), ("audit", "/audit", "Audit"))


def ago(value: datetime | str | None) -> str:
    """``3m ago``, ``in 2h 5m``: a short distance from now."""
    if value is None:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    seconds = (utcnow() - (at if at.tzinfo else at.replace(tzinfo=UTC))).total_seconds()
    text = span(abs(seconds))
    return "just now" if abs(seconds) < 5 else (f"{text} ago" if seconds > 0 else f"in {text}")


def span(seconds: float | None) -> str:
    """``42s``, ``3m 10s``, ``2h 5m``, ``3d 4h``."""
    if seconds is None:
        return ""
    s = round(seconds)
    for big, small, unit_big, unit_small in ((86400, 3600, "d", "h"), (3600, 60, "h", "m"), (60, 1, "m", "s")):
        if s >= big:
            rest = (s % big) // small
            return f"{s // big}{unit_big}" + (f" {rest}{unit_small}" if rest else "")
    return f"{s}s"


def stamp(value: datetime | str | None) -> str:
    """``2030-01-01 09:00 UTC``."""
    if value is None:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(value: float | None) -> str:
    """``$12.50``; under a dollar up to four decimals (``$0.0842``), never fewer than two."""
    if not value:
        return "$0"
    if value >= 1:
        return f"${value:,.2f}"
    digits = f"{value:.4f}".rstrip("0")
    return "$" + digits + "0" * max(0, 2 - len(digits.split(".")[1]))


def number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def short(value: str | None, n: int = 10) -> str:
    return (value or "")[:n]


@cache
def asset_version() -> str:
    """A hash of the static files, so a new release is never served from a stale browser cache."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@cache
def inline_css() -> Markup:
    """The stylesheet, for the pages that must look right before a browser is signed in (``/login``, errors): where reads
    need the token, ``/static`` is closed to it."""
    return Markup((STATIC / "overseer.css").read_text(encoding="utf-8"))


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("overseer.web", "templates"), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters.update(ago=ago, span=span, stamp=stamp, money=money, number=number, short=short)
    env.globals.update(nav=NAV, version=__version__, asset_version=asset_version, inline_css=inline_css)
    env.globals["ui"] = env.get_template("macros.html").module  # shared macros, also inside blocks rendered alone
    return env


def signed_in(request: Request, ctx: AppContext) -> bool:
    return ctx.auth.valid(request.cookies.get(COOKIE))


def waiting(ctx: AppContext) -> int | None:
    """How many tasks and epics await approval (the navigation's badge); None when the store cannot say."""
    try:
        return ctx.sup.count_tasks(TaskQuery(statuses=(TaskStatus.AWAITING_APPROVAL,)))
    except OverseerError:
        return None


def seen(request: Request) -> None:
    """A dependency of every page route, run before it reads anything: the newest event's number, from which the page's
    script follows the stream (an event between this and the page's queries is replayed, never lost)."""
    try:
        request.state.seq = context(request).sup.last_event_seq()
    except OverseerError:
        request.state.seq = 0


def page(request: Request, template: str, data: Mapping[str, Any], *, active: str = "", status: int = 200,
         title: str = "", live: bool = True) -> HTMLResponse:
    """The page, or only the block named by ``?fragment=`` (404 when the page has no such block)."""
    ctx = context(request)
    values = {"request": request, "csrf": ctx.auth.csrf, "active": active, "title": title, "signed_in": signed_in(request, ctx),
              "path": request.url.path, "waiting": waiting(ctx), "live": live,
              "last_seq": getattr(request.state, "seq", 0), **data}
    tmpl = environment().get_template(template)
    fragment = request.query_params.get("fragment")
    if fragment is None:
        return HTMLResponse(tmpl.render(values), status_code=status)
    block = tmpl.blocks.get(fragment)
    if block is None or fragment in ("content", "head", "scripts"):
        return HTMLResponse(f"no fragment {escape(fragment)} on this page", status_code=404)
    return HTMLResponse("".join(block(tmpl.new_context(values))), status_code=status,
                        headers={"Cache-Control": "no-store"})
