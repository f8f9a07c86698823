"""``/plans``: the plans, newest first, and the requests queued for planning; ``/plans/ID``: one plan as a tree — the
request, the plan's summary, what the codebase review saw and left out, the totals, then each phase with its gate (Approve
and Reject while it waits) and its tasks with their routing and estimate.

Each phase is a live region (``?fragment=phase&phase=ID`` renders it alone, reading only that phase) refreshed by the
events of its own tasks; the header (totals, read without the blockers) by those of the plan, its phases and their tasks.
Approving posts to the API with the page's CSRF token, or without script the form goes to ``/approvals/ID/approve`` with
``next`` pointing back here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape

from overseer.api.context import AppContext, context
from overseer.domain import NotFound, TaskNotFound, ValidationError
from overseer.planning import PhaseView, PlanQueue, PlanView, list_plans, load_phase, load_plan, plan_summary, queue_path
from overseer.web.approvals import EFFECTIVE
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
Text = Annotated[str, Query(max_length=2000)]
PAGE = 50
QUEUE_SHOWN = 50
TASKS_SHOWN = 200  # per phase


@router.get("/plans", response_class=HTMLResponse)
def plan_list(request: Request, ctx: Ctx, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> HTMLResponse:
    epics = list_plans(ctx.sup)
    queued = PlanQueue(queue_path(ctx.root)).entries()
    data = {"plans": [plan_summary(ctx.sup, e) for e in epics[offset : offset + PAGE]], "total": len(epics), "offset": offset,
            "per_page": PAGE, "queue": queued[-QUEUE_SHOWN:][::-1], "queued": len(queued)}
    return page(request, "plans.html", data, active="plans", title="Plans")


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, ctx: Ctx, plan_id: str, phase: Annotated[str | None, Query(max_length=200)] = None,
              done: Text = "", action: Text = "", detail: Text = "", error: Text = "") -> HTMLResponse:
    if request.query_params.get("fragment") == "phase":  # one phase's live region: only that phase is read
        if phase is None:
            return HTMLResponse("say which phase: ?fragment=phase&amp;phase=ID", status_code=422)
        one = _phase(ctx, phase)
        if one is None:
            return HTMLResponse(f"no phase {escape(phase)} of a plan", status_code=404)
        return page(request, "plan.html", {"plan_id": plan_id, "p": one})
    view = _plan(ctx, plan_id, blockers=request.query_params.get("fragment") != "header")  # the header shows totals only
    data = {"view": view, "plan": view.epic, "plan_id": view.epic.id, "meta": view.meta, "est": view.meta.get("estimate") or {},
            "review": view.meta.get("review") or {}, "phases": view.phases, "totals": totals(view),
            "flash": _flash(done, action, detail, error)}
    return page(request, "plan.html", data, active="plans", title=f"{view.epic.id} {view.epic.title}")


def totals(view: PlanView) -> dict[str, Any]:
    """Across the phases: tasks, tasks per status, phases per gate state."""
    counts: dict[str, int] = {}
    for p in view.phases:
        for status, n in p.counts().items():
            counts[status] = counts.get(status, 0) + n
    gates = [p.gate for p in view.phases]
    return {"tasks": sum(len(p.tasks) + p.more for p in view.phases), "counts": counts, "done": counts.get("done", 0),
            "waiting": gates.count("waiting"), "released": gates.count("released"), "rejected": gates.count("rejected")}


def _plan(ctx: AppContext, plan_id: str, *, blockers: bool) -> PlanView:
    try:
        return load_plan(ctx.sup, plan_id, max_tasks=TASKS_SHOWN, blockers=blockers)
    except ValidationError:
        raise NotFound(f"{plan_id} is not a plan (the plans are listed at /plans)") from None


def _phase(ctx: AppContext, phase_id: str) -> PhaseView | None:
    try:
        return load_phase(ctx.sup, phase_id, max_tasks=TASKS_SHOWN)
    except (ValidationError, TaskNotFound):
        return None


def _flash(done: str, action: str, detail: str, error: str) -> dict[str, Any] | None:
    """What the no-script approve and reject forms came back with (as on ``/approvals``)."""
    if error:
        return {"ok": False, "text": error}
    if done:
        return {"ok": action in EFFECTIVE, "text": f"{done}: {action}" + (f" — {detail}" if detail else "")}
    return None
