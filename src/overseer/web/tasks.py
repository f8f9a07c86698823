"""``/tasks``: a page of tasks in one board column (what "more" opens); ``/tasks/ID``: one task, its dependencies, its
runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from overseer.api.context import AppContext, context
from overseer.domain import DepType, Task, TaskNotFound, TaskStatus, ValidationError
from overseer.ports import TaskQuery
from overseer.web.board import COLUMNS
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
PAGE = 100
RUNS = 50
CHILDREN = 200
MAX_DEPS_SHOWN = 200


@router.get("/tasks", response_class=HTMLResponse)
def task_list(request: Request, ctx: Ctx, column: Annotated[str | None, Query(max_length=40)] = None,
              status: Annotated[str | None, Query(max_length=40)] = None,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> HTMLResponse:
    if status is not None:
        try:
            statuses: tuple[TaskStatus, ...] | None = (TaskStatus(status),)
        except ValueError:
            raise ValidationError("status", f"unknown status {status!r}") from None
        heading = status
    elif column is not None:
        col = next((c for c in COLUMNS if c.key == column), None)
        if col is None:
            raise ValidationError("column", f"no column {column!r} (columns: {', '.join(c.key for c in COLUMNS)})")
        statuses, heading = col.statuses, col.title
    else:
        statuses, heading = None, "All tasks"
    query = TaskQuery(statuses=statuses)
    tasks = ctx.sup.list_tasks(TaskQuery(statuses=statuses, limit=PAGE, offset=offset))
    total = ctx.sup.count_tasks(query)
    base = f"/tasks?{'column=' + column if column else 'status=' + status if status else ''}"
    data = {"tasks": tasks, "total": total, "offset": offset, "per_page": PAGE, "heading": heading, "base": base}
    return page(request, "tasks.html", data, active="board", title=heading)


def _lookup(ctx: AppContext, ids: set[str]) -> dict[str, Task | None]:
    found: dict[str, Task | None] = {}
    for i in sorted(ids):
        try:
            found[i] = ctx.sup.get(i)
        except TaskNotFound:
            found[i] = None  # a dangling dependency: shown, marked missing
    return found


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, ctx: Ctx, task_id: str) -> HTMLResponse:
    task = ctx.sup.get(task_id)
    deps = ctx.sup.store.dependencies(task.id)
    waits_on = [d for d in deps if d.task_id == task.id and d.type != DepType.PARENT_CHILD.value]
    waited_by = [d for d in deps if d.depends_on == task.id and d.type != DepType.PARENT_CHILD.value]
    parent = next((d.depends_on for d in deps if d.task_id == task.id and d.type == DepType.PARENT_CHILD.value), None)
    kids = TaskQuery(parent=task.id)
    children = ctx.sup.list_tasks(TaskQuery(parent=task.id, limit=CHILDREN)) if task.is_epic else []
    cut = MAX_DEPS_SHOWN
    shown = {d.depends_on for d in waits_on[:cut]} | {d.task_id for d in waited_by[:cut]}
    data = {"task": task, "blocked": ctx.sup.store.is_blocked(task.id), "parent": parent, "waits_on": waits_on[:cut],
            "waited_by": waited_by[:cut], "deps_cut": max(len(waits_on), len(waited_by)) > cut, "others": _lookup(ctx, shown),
            "children": children, "child_count": ctx.sup.count_tasks(kids) if len(children) == CHILDREN else len(children),
            "runs": ctx.runs.list_runs(task_id=task.id, limit=RUNS)}
    return page(request, "task.html", data, active="board", title=f"{task.id} {task.title}")
