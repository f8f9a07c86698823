"""``/``: the board — task columns by status (counts, the first ``CARDS`` of each, a link to the rest) and the dependency
graph of one epic. ``/board/card/ID`` is one card, which the page's script fetches to move a task when it changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from overseer.api.context import AppContext, context
from overseer.domain import Task, TaskKind, TaskStatus, ValidationError
from overseer.domain.runs import Run, RunStatus
from overseer.ports import TaskQuery
from overseer.web.dependencies import cache_for
from overseer.web.graph import MAX_NODES, Graph, layout
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
S = TaskStatus
CARDS = 50
READY_MARKED = 200
CLOSED = (S.DONE, S.CANCELLED, S.DELETED)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    statuses: tuple[TaskStatus, ...]

    @property
    def status_names(self) -> str:
        return " ".join(s.value for s in self.statuses)


COLUMNS = (
    Column("open", "Open", (S.OPEN, S.ON_HOLD, S.NEEDS_CHANGES)),
    Column("active", "In progress", (S.CLAIMED, S.RUNNING)),
    Column("verifying", "Verifying", (S.VERIFYING,)),
    Column("approval", "Awaiting approval", (S.AWAITING_APPROVAL,)),
    Column("done", "Done", (S.DONE,)),
    Column("failed", "Failed · escalated", (S.FAILED, S.ESCALATED)),
)


def column_of(status: TaskStatus) -> Column | None:
    return next((c for c in COLUMNS if status in c.statuses), None)


@dataclass(frozen=True)
class Card:
    task: Task
    ready: bool = False
    run: Run | None = None

    @property
    def column(self) -> str:
        col = column_of(self.task.status)
        return col.key if col else ""

    @property
    def marked(self) -> bool:
        """Whether the card names its status: only where the column holds more than one and this is not its first."""
        col = column_of(self.task.status)
        return col is None or self.task.status != col.statuses[0]


def live_runs(ctx: AppContext) -> dict[str, Run]:
    """The run each task has going now (the newest, when it has several)."""
    found = ctx.runs.list_runs(statuses=(RunStatus.STARTING, RunStatus.RUNNING), limit=200)
    return {r.task_id: r for r in reversed(found)}


def columns(ctx: AppContext, counts: dict[str, int]) -> list[dict[str, Any]]:
    ready = {t.id for t in ctx.sup.ready(READY_MARKED)}
    running = live_runs(ctx)
    out = []
    for col in COLUMNS:
        tasks = ctx.sup.list_tasks(TaskQuery(statuses=col.statuses, limit=CARDS))
        total = sum(counts.get(s.value, 0) for s in col.statuses)
        out.append({"column": col, "total": total,
                    "cards": [Card(t, t.id in ready, running.get(t.id)) for t in tasks]})
    return out


def pick_epic(ctx: AppContext, wanted: str | None) -> Task | None:
    """The epic named, else the newest one still open (else the newest of all)."""
    if wanted:
        epic = ctx.sup.get(wanted)
        if not epic.is_epic:
            raise ValidationError("epic", f"{epic.id} is a {epic.kind}, not an epic")
        return epic
    live = tuple(s for s in TaskStatus if s not in CLOSED)
    epics = ctx.sup.list_tasks(TaskQuery(kind=TaskKind.EPIC.value, statuses=live, limit=500)) or \
        ctx.sup.list_tasks(TaskQuery(kind=TaskKind.EPIC.value, limit=500))
    return max(epics, key=lambda t: (t.created_at, t.id), default=None)


def epic_graph(ctx: AppContext, epic: Task) -> Graph:
    query = TaskQuery(parent=epic.id)
    tasks = ctx.sup.list_tasks(TaskQuery(parent=epic.id, limit=MAX_NODES))
    total = ctx.sup.count_tasks(query) if len(tasks) == MAX_NODES else len(tasks)
    return layout(tasks, cache_for(ctx.sup).get(ctx.sup), total=total)


def epic_choices(ctx: AppContext) -> list[Task]:
    epics = ctx.sup.list_tasks(TaskQuery(kind=TaskKind.EPIC.value, limit=100))
    return sorted(epics, key=lambda t: (t.status in CLOSED, -t.created_at.timestamp()))


@router.get("/", response_class=HTMLResponse)
def board(request: Request, ctx: Ctx, epic: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    counts = ctx.sup.status_counts()
    chosen = pick_epic(ctx, epic)
    graph = epic_graph(ctx, chosen) if chosen is not None else None
    data = {"columns": columns(ctx, counts), "counts": counts, "total": sum(counts.values()), "statuses": list(TaskStatus),
            "epic": chosen, "graph": graph, "epics": epic_choices(ctx) if chosen is not None else [], "cards_per_column": CARDS}
    return page(request, "board.html", data, active="board", title="Board")


@router.get("/board/card/{task_id}", response_class=HTMLResponse)
def card(request: Request, ctx: Ctx, task_id: str) -> HTMLResponse:
    task = ctx.sup.get(task_id)
    runs = ctx.runs.list_runs(task_id=task.id, limit=1)
    run = runs[0] if runs and not runs[0].status.is_final() else None
    ready = task.status == S.OPEN and any(t.id == task.id for t in ctx.sup.ready(READY_MARKED))
    return page(request, "card.html", {"card": Card(task, ready, run)})


@router.get("/board/counts")
def board_counts(ctx: Ctx) -> dict[str, Any]:
    """Tasks per status and per column, and how many wait for approval: what the page's script keeps its numbers from."""
    counts = ctx.sup.status_counts()
    return {"counts": counts, "total": sum(counts.values()), "waiting": counts.get(S.AWAITING_APPROVAL.value, 0),
            "columns": {c.key: sum(counts.get(s.value, 0) for s in c.statuses) for c in COLUMNS}}
