"""``/approvals``: the queue of what waits for a person, with Approve and Reject.

With JavaScript the buttons call the API (``POST /api/v1/approvals/ID/approve|reject`` with the page's CSRF token);
without it they post these forms to the routes below, which do the same through ``ctx.approvals()`` and redirect back
with the outcome (to ``/approvals``, or to the page the form names in ``next``: a plan's page). The guard in front of
every route (``api.auth``) has already checked the session cookie and the form's ``csrf`` field."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from overseer.api.context import AppContext, context
from overseer.domain import OverseerError
from overseer.gate.approvals import Outcome
from overseer.web.login import safe_next
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
Text = Annotated[str, Query(max_length=2000)]
Next = Annotated[str, Form(alias="next", max_length=2000)]  # where the no-script form goes back to (a path here)
EFFECTIVE = ("released", "landed", "merged")
SHOWN = 50


@router.get("/approvals", response_class=HTMLResponse)
def queue(request: Request, ctx: Ctx, done: Text = "", action: Text = "", detail: Text = "", error: Text = "") -> HTMLResponse:
    flash = None
    if error:
        flash = {"ok": False, "text": error}
    elif done:
        flash = {"ok": action in EFFECTIVE, "text": f"{done}: {action}" + (f" — {detail}" if detail else "")}
    pending = ctx.approvals().pending()
    data = {"pending": pending[:SHOWN], "total": len(pending), "flash": flash}
    return page(request, "approvals.html", data, active="approvals", title="Approvals")


def _back(outcome: Outcome | None = None, error: str = "", to: str = "/approvals") -> RedirectResponse:
    """Back to ``to`` (a page of this server: ``/approvals``, or the plan a phase was approved from) with the outcome."""
    query = {"error": error[:2000]} if outcome is None else {"done": outcome.task.id, "action": outcome.action,
                                                            "detail": outcome.detail[:1500]}
    path = safe_next(to).split("?", 1)[0].split("#", 1)[0]
    return RedirectResponse(f"{path}?{urlencode(query)}", status_code=303)


@router.post("/approvals/{task_id}/approve")
def approve(ctx: Ctx, task_id: str, note: Annotated[str, Form(max_length=10_000)] = "", to: Next = "/approvals") -> RedirectResponse:
    try:
        return _back(ctx.approvals().approve(task_id, note=note.strip() or None), to=to)
    except OverseerError as err:
        return _back(error=f"{task_id}: {err}", to=to)


@router.post("/approvals/{task_id}/reject")
def reject(ctx: Ctx, task_id: str, reason: Annotated[str, Form(max_length=10_000)] = "", to: Next = "/approvals") -> RedirectResponse:
    try:
        return _back(ctx.approvals().reject(task_id, reason=reason), to=to)
    except OverseerError as err:
        return _back(error=f"{task_id}: {err}", to=to)
