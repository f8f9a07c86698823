"""The task graph: tasks (plain or typed submissions), their status, dependencies, readiness and claims, and epics.

Lists are paged (``limit``, default ``page_size``, at most ``max_page_size``; ``offset``) and say their ``total``.
Unknown ids are 404 naming the id; bad input is 422 naming the field; moves the graph forbids (a cycle, an illegal status
change, a claim that does not hold) are 409. A refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict, replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from overseer.api.cache import cached_json
from overseer.api.context import AppContext, context
from overseer.api.schemas import (
    NO_NUL,
    NULLABLE,
    PRINTABLE,
    Claim,
    DependencyCreate,
    DependencyOut,
    EpicCreate,
    EpicDetail,
    EpicPage,
    Heartbeat,
    ReadyPage,
    Reason,
    StatusMove,
    TaskDetail,
    TaskOut,
    TaskPage,
    TaskPatch,
    TreeOut,
    WorkerRef,
)
from overseer.api.submissions import TYPES, NewTaskBody
from overseer.domain import ClaimError, DependencyError, DepType, NotFound, Task, TaskKind, TaskStatus, ValidationError
from overseer.domain.serialize import dep_dict, task_dict
from overseer.ports import TaskQuery


class UntaggedRoute(APIRoute):
    """Errors inside the ``POST /tasks`` union name the field as a client wrote it: ``priority``, not ``BUG_FIX.priority``;
    an unknown ``type`` is an error of ``type``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise RequestValidationError([_untag(e) for e in exc.errors()], body=exc.body) from None

        return route


def _untag(error: Any) -> Any:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "unknown_type":
        loc = ("body", "type")
    elif loc[:1] == ("body",) and len(loc) > 1 and loc[1] in TYPES:
        loc = loc[:1] + loc[2:]
    return {**error, "loc": loc}


router = APIRouter(tags=["tasks"], route_class=UntaggedRoute)
Ctx = Annotated[AppContext, Depends(context)]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE, description="A task id such as ov-1a2b.")]
Limit = Annotated[int | None, Query(ge=1, description="Page size (default: the server's page_size; at most max_page_size).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="How many matching items to skip.")]
CACHE_TTL = 60.0  # lists change only with an event (the version); the age limit is a backstop


def _limit(ctx: AppContext, limit: int | None) -> int:
    if limit is None:
        return ctx.settings.page_size
    if limit > ctx.settings.max_page_size:
        raise ValidationError("limit", f"must be at most {ctx.settings.max_page_size}, got {limit}; page with offset")
    return limit


def _next(offset: int, limit: int, total: int) -> int | None:
    return offset + limit if offset + limit < total else None


def _page(ctx: AppContext, query: TaskQuery, limit: int | None, offset: int) -> dict[str, Any]:
    size = _limit(ctx, limit)
    found = ctx.sup.list_tasks(replace(query, limit=size, offset=offset))
    total = ctx.sup.count_tasks(query)
    return {"tasks": [task_dict(t) for t in found], "total": total, "limit": size, "offset": offset,
            "next_offset": _next(offset, size, total)}


# -- tasks -------------------------------------------------------------------------------------------------
@router.get("/tasks", response_model=TaskPage, summary="Tasks, most urgent first (priority, then age, then id)")
def list_tasks(request: Request, ctx: Ctx, limit: Limit = None, offset: Offset = 0,
               status: Annotated[list[TaskStatus] | None, Query(max_length=20, description="Only these statuses (repeat).")] = None,
               kind: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
               label: Annotated[str | None, Query(max_length=500, pattern=NO_NUL)] = None,
               parent: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE, description="Only children of this epic.")] = None,
               include_deleted: bool = False) -> Response:
    query = TaskQuery(statuses=tuple(status) if status else None, kind=kind, label=label, parent=parent, include_deleted=include_deleted)
    return cached_json(request, ctx.cache, ctx.sup.last_event_seq(), lambda: _page(ctx, query, limit, offset), ttl=CACHE_TTL)


@router.post("/tasks", response_model=TaskOut, status_code=201,
             summary="Create a task: a plain one, or a typed submission (PR_REVIEW, BUG_FIX…) chosen by `type`")
def create_task(ctx: Ctx, payload: Annotated[NewTaskBody, Body()]) -> dict[str, Any]:
    return task_dict(ctx.sup.create_task(payload.new_task(), actor=ctx.settings.actor))


@router.get("/tasks/{task_id}", response_model=TaskDetail, summary="One task, its dependencies both ways, its children")
def show_task(ctx: Ctx, task_id: Id) -> dict[str, Any]:
    view = ctx.sup.show(task_id)
    return {"task": task_dict(view.task), "blocked": view.blocked, "depends_on": [dep_dict(d) for d in view.depends_on],
            "dependents": [dep_dict(d) for d in view.dependents], "children": [task_dict(c) for c in view.children]}


@router.patch("/tasks/{task_id}", response_model=TaskOut, summary="Change fields of a task; only those given change")
def update_task(ctx: Ctx, task_id: Id, patch: TaskPatch) -> dict[str, Any]:
    changes = patch.model_dump(mode="json", exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in NULLABLE:
            raise ValidationError(name, "cannot be null (leave it out to keep it)")
    if "budget" in changes:  # merged into the current budget: only the limits given change
        changes["budget"] = {**ctx.sup.get(task_id).budget.to_dict(), **changes["budget"]}
    return task_dict(ctx.sup.update(task_id, changes, actor=ctx.settings.actor))


@router.post("/tasks/{task_id}/status", response_model=TaskOut, summary="Move a task to a status (checked against the state machine)")
def move_task(ctx: Ctx, task_id: Id, move: StatusMove) -> dict[str, Any]:
    return task_dict(ctx.sup.set_status(task_id, move.status, actor=ctx.settings.actor, reason=move.reason))


@router.post("/tasks/{task_id}/close", response_model=TaskOut, summary="Mark a task done (its epic closes with its last child)")
def close_task(ctx: Ctx, task_id: Id, body: Annotated[Reason | None, Body()] = None) -> dict[str, Any]:
    return task_dict(ctx.sup.close_task(task_id, actor=ctx.settings.actor, reason=body.reason if body else None))


@router.post("/tasks/{task_id}/reopen", response_model=TaskOut, summary="Open a task again (from done, cancelled, failed…)")
def reopen_task(ctx: Ctx, task_id: Id) -> dict[str, Any]:
    return task_dict(ctx.sup.reopen(task_id, actor=ctx.settings.actor))


# -- dependencies ------------------------------------------------------------------------------------------
@router.post("/tasks/{task_id}/dependencies", response_model=DependencyOut, status_code=201,
             summary="Make a task depend on another (`blocks` and `parent-child` gate readiness; cycles are refused)")
def add_dependency(ctx: Ctx, task_id: Id, dep: DependencyCreate) -> dict[str, Any]:
    return dep_dict(ctx.sup.add_dependency(task_id, dep.depends_on, dep.type.value, actor=ctx.settings.actor))


@router.delete("/tasks/{task_id}/dependencies/{depends_on}", status_code=204, summary="Remove one dependency")
def remove_dependency(ctx: Ctx, task_id: Id, depends_on: Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)],
                      type: Annotated[DepType, Query(description="Which dependency of the two tasks.")] = DepType.BLOCKS) -> Response:
    for tid in (task_id, depends_on):
        ctx.sup.get(tid)  # an unknown id is a 404 naming it
    try:
        ctx.sup.remove_dependency(task_id, depends_on, type.value, actor=ctx.settings.actor)
    except DependencyError as err:
        raise NotFound(str(err)) from None
    return Response(status_code=204)


@router.get("/tasks/{task_id}/tree", response_model=TreeOut, summary="What a task waits on, or with `reverse` what waits on it")
def dependency_tree(ctx: Ctx, task_id: Id, reverse: bool = False,
                    depth: Annotated[int, Query(ge=1, le=50, description="How deep to follow.")] = 50) -> dict[str, Any]:
    return asdict(ctx.sup.dependency_tree(task_id, reverse=reverse, max_depth=depth))


# -- readiness and claims ----------------------------------------------------------------------------------
@router.get("/ready", response_model=ReadyPage, summary="Ready work in the order it will be taken")
def ready(request: Request, ctx: Ctx, limit: Limit = None, offset: Offset = 0) -> Response:
    size = _limit(ctx, limit)

    def build() -> dict[str, Any]:
        found = ctx.sup.ready(offset + size + 1)
        return {"tasks": [task_dict(t) for t in found[offset : offset + size]], "limit": size, "offset": offset,
                "more": len(found) > offset + size}

    return cached_json(request, ctx.cache, ctx.sup.last_event_seq(), build, ttl=ctx.settings.ready_ttl_seconds)


@router.post("/ready/claim", response_model=TaskOut, responses={204: {"description": "Nothing is ready: no body."}},
             summary="Claim the most urgent ready task (200 with it; 204 when nothing is ready)")
def claim_next(ctx: Ctx, claim: Claim) -> Any:
    task = ctx.sup.claim_next(claim.worker, claim.lease_seconds)
    return Response(status_code=204) if task is None else task_dict(task)


def _not_held(task: Task, worker: str) -> ClaimError:
    holder = f"held by {task.claimed_by}" if task.claimed_by else "held by nobody"
    return ClaimError(f"task {task.id} is {task.status.value}, {holder}; not claimable by {worker} now")


@router.post("/tasks/{task_id}/claim", response_model=TaskOut,
             summary="Claim one task (409 when another worker holds it, or it is not ready)")
def claim(ctx: Ctx, task_id: Id, claim: Claim) -> dict[str, Any]:
    task = ctx.sup.claim(task_id, claim.worker, claim.lease_seconds)
    if task is None:
        raise _not_held(ctx.sup.get(task_id), claim.worker)
    return task_dict(task)


@router.post("/tasks/{task_id}/heartbeat", response_model=Heartbeat,
             summary="Renew the holder's lease (409 when the worker does not hold the task)")
def heartbeat(ctx: Ctx, task_id: Id, claim: Claim) -> dict[str, Any]:
    if not ctx.sup.heartbeat(task_id, claim.worker, claim.lease_seconds):
        raise _not_held(ctx.sup.get(task_id), claim.worker)
    return {"renewed": True, "task": task_dict(ctx.sup.get(task_id))}


@router.post("/tasks/{task_id}/release", response_model=TaskOut, summary="Give a claimed task back (open again)")
def release(ctx: Ctx, task_id: Id, body: WorkerRef) -> dict[str, Any]:
    return task_dict(ctx.sup.release(task_id, body.worker, actor=ctx.settings.actor))


# -- epics -------------------------------------------------------------------------------------------------
def _progress(ctx: AppContext, epic: Task) -> dict[str, Any]:
    kids = TaskQuery(parent=epic.id)
    done = ctx.sup.count_tasks(TaskQuery(parent=epic.id, statuses=(TaskStatus.DONE,)))
    return {"epic": task_dict(epic), "done": done, "total": ctx.sup.count_tasks(kids)}


@router.get("/epics", response_model=EpicPage, tags=["epics"], summary="Epics, most urgent first, with done/total children")
def list_epics(request: Request, ctx: Ctx, limit: Limit = None, offset: Offset = 0,
               status: Annotated[list[TaskStatus] | None, Query(max_length=20)] = None) -> Response:
    size = _limit(ctx, limit)
    query = TaskQuery(kind=TaskKind.EPIC.value, statuses=tuple(status) if status else None)

    def build() -> dict[str, Any]:
        found = ctx.sup.list_tasks(replace(query, limit=size, offset=offset))
        total = ctx.sup.count_tasks(query)
        return {"epics": [_progress(ctx, e) for e in found], "total": total, "limit": size, "offset": offset,
                "next_offset": _next(offset, size, total)}

    return cached_json(request, ctx.cache, ctx.sup.last_event_seq(), build, ttl=CACHE_TTL)


@router.post("/epics", response_model=TaskOut, status_code=201, tags=["epics"],
             summary="Create an epic; add its tasks with POST /tasks and `parent`")
def create_epic(ctx: Ctx, epic: EpicCreate) -> dict[str, Any]:
    return task_dict(ctx.sup.create_task(epic.new_task(), actor=ctx.settings.actor))


@router.get("/epics/{task_id}", response_model=EpicDetail, tags=["epics"],
            summary="An epic's progress: its children, counts per status, which are ready")
def epic_status(ctx: Ctx, task_id: Id) -> dict[str, Any]:
    status = ctx.sup.epic_status(task_id)
    live = [c for c in status.children if c.status != TaskStatus.DELETED]
    counts = {k: n for k, n in status.counts.items() if k != TaskStatus.DELETED.value}
    return {"epic": task_dict(status.epic), "children": [task_dict(c) for c in live], "counts": counts,
            "done": status.done, "total": len(live), "ready": status.ready}
