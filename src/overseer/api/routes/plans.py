"""Plans: review -> plan -> execute over HTTP — the same ``overseer.planning`` as ``overseer plan``.

``POST /plans`` asks the planning model (seconds: the route runs in the threadpool) and stores the plan, every phase held
for ``POST /approvals/PHASE/approve``. A plan the model got wrong twice is a 422 whose ``errors`` name each problem in
the model's plan (``phases[1].tasks[0].complexity``); a plan over the budget is a 409 carrying its estimate (``plan``:
what would have been stored). Neither stores anything. ``POST /plans/queue`` lines a request up for
``overseer plan run-queue`` instead (202).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from overseer.api import problems
from overseer.api.context import AppContext, context
from overseer.api.schemas import NO_NUL, PRINTABLE
from overseer.bootstrap import open_planner
from overseer.domain import NotFound, TaskNotFound, ValidationError
from overseer.domain.errors import PlanError
from overseer.planning import PlanOutcome, PlanQueue, list_plans, load_plan, plan_summary, queue_path

router = APIRouter(tags=["plans"])
Ctx = Annotated[AppContext, Depends(context)]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE, description="A plan's epic id, or one of its phases'.")]
Limit = Annotated[int | None, Query(ge=1, description="Page size (default: the server's page_size; at most max_page_size).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="How many items to skip.")]
Mode = Literal["frugal", "balanced", "performance", "max"]  # config.providers.MODES
RequestText = Annotated[str, Field(min_length=1, max_length=20_000, pattern=NO_NUL, description="What you want built, in words.")]


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: RequestText
    mode: Mode | None = Field(default=None, description="How tasks are routed for the estimate (default: routing.mode).")
    budget_usd: float | None = Field(default=None, ge=0, le=1_000_000,
                                     description="Refuse a plan whose billed estimate is above this (default: planning.max_cost_usd).")
    force: bool = Field(default=False, description="Store the plan even when it is over the budget.")


class QueueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: RequestText
    mode: Mode | None = None
    budget_usd: float | None = Field(default=None, ge=0, le=1_000_000)
    force: bool = False


def _size(ctx: AppContext, limit: int | None) -> int:
    if limit is None:
        return ctx.settings.page_size
    if limit > ctx.settings.max_page_size:
        raise ValidationError("limit", f"must be at most {ctx.settings.max_page_size}, got {limit}; page with offset")
    return limit


def _page(items: list[Any], key: str, limit: int, offset: int) -> dict[str, Any]:
    total = len(items)
    return {key: items[offset : offset + limit], "total": total, "limit": limit, "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None}


@router.get("/plans", summary="Plans, newest first: status, phases waiting/released/rejected at their gate, the estimate")
def plans(ctx: Ctx, limit: Limit = None, offset: Offset = 0) -> dict[str, Any]:
    size = _size(ctx, limit)
    page = _page(list_plans(ctx.sup), "plans", size, offset)
    page["plans"] = [plan_summary(ctx.sup, epic) for epic in page["plans"]]
    return page


@router.get("/plans/queue", summary="Requests lined up for `overseer plan run-queue`, oldest first, with what became of each")
def queue(ctx: Ctx, limit: Limit = None, offset: Offset = 0) -> dict[str, Any]:
    entries = [e.dict() for e in PlanQueue(queue_path(ctx.root)).entries()]
    return _page(entries, "queue", _size(ctx, limit), offset)


@router.post("/plans/queue", status_code=202, summary="Line a request up for planning later (`overseer plan run-queue`)")
def enqueue(ctx: Ctx, body: QueueCreate) -> dict[str, Any]:
    entry = PlanQueue(queue_path(ctx.root)).add(body.request, mode=body.mode, budget=body.budget_usd, force=body.force)
    return entry.dict()


@router.get("/plans/{plan_id}", summary="One plan: request, summary, review, estimate, and each phase with its gate and tasks")
def show(ctx: Ctx, plan_id: Id) -> dict[str, Any]:
    return _load(ctx, plan_id)


@router.post("/plans", status_code=201, summary="Plan a request: review the codebase, ask the planning model, estimate, store",
             responses={409: {"description": "Over the budget: the estimate, nothing stored."},
                        422: {"description": "Bad input, or the model's plan failed validation twice: nothing stored."}})
def create(request: Request, ctx: Ctx, body: PlanCreate) -> Response:
    """201 with the stored plan (as ``GET /plans/ID``) and ``outcome``: the planning call's attempts and model, whether it
    was over the budget (stored anyway with ``force``)."""
    try:
        outcome = open_planner(ctx.sup, mode=body.mode, actor=ctx.settings.actor).plan(body.request, budget=body.budget_usd,
                                                                                        force=body.force)
    except PlanError as err:
        return _invalid(request, err)
    if outcome.stored is None:
        return _over_budget(request, outcome)
    made = outcome.dict()
    stored = {**_load(ctx, outcome.stored.epic.id),
              "outcome": {k: made[k] for k in ("attempts", "over_budget", "limit_usd", "model")}}
    return JSONResponse(stored, status_code=201, headers={"Location": f"{request.url.path}/{outcome.stored.epic.id}"})


def _load(ctx: AppContext, plan_id: str) -> dict[str, Any]:
    try:
        return load_plan(ctx.sup, plan_id).dict()
    except TaskNotFound:
        raise NotFound(f"no plan with id {plan_id!r} (GET /api/v1/plans lists them)") from None
    except ValidationError:  # the task is there, but is no plan nor a phase of one
        raise NotFound(f"{plan_id} is not a plan (GET /api/v1/plans lists them)") from None


def _invalid(request: Request, err: PlanError) -> JSONResponse:
    errors = [{"field": path, "message": message} if sep else {"field": "plan", "message": path}
              for path, sep, message in (e.partition(": ") for e in err.errors)]
    return problems.problem(422, "Plan invalid", str(err), instance=request.url.path, error="PlanError", errors=errors)


def _over_budget(request: Request, outcome: PlanOutcome) -> JSONResponse:
    est, limit = outcome.draft.estimate, outcome.limit_usd or 0.0
    detail = (f"the billed estimate ${est.billed_usd:.4f} is over the ${limit:.4f} budget; nothing was stored "
              "(raise budget_usd, or send force: true to store it anyway)")
    return problems.problem(409, "Over budget", detail, instance=request.url.path, error="OverBudget", field="budget_usd",
                            limit_usd=outcome.limit_usd, estimate=est.dict(), plan=outcome.dict())
