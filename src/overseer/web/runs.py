"""``/runs/ID``: one run — its header (live), the agent's log (the tail rendered here, then followed over server-sent
events by the page's script), the verification stages, and the diff highlighted by Pygments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pygments import highlight  # type: ignore[import-untyped]  # no stubs among the dev dependencies
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import DiffLexer  # type: ignore[import-untyped]

from overseer.api.context import AppContext, context
from overseer.api.files import LOGS, read_tail, run_dir
from overseer.bootstrap import run_diff
from overseer.domain import OverseerError, TaskNotFound
from overseer.domain.runs import Run
from overseer.domain.verification import StageResult
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
LOG_TAIL = 64 * 1024
DIFF_CHARS = 200_000
FINDINGS_SHOWN = 12


@dataclass(frozen=True)
class Diff:
    html: Markup | None
    note: str = ""


def diff_of(ctx: AppContext, run: Run) -> Diff:
    """The run's change as highlighted HTML, or why there is none."""
    if not run.base_commit or not run.head_commit:
        return Diff(None, "no commits to compare yet" if not run.status.is_final() else "the run left no commit")
    try:
        text = run_diff(ctx.sup, run.base_commit, run.head_commit, max_chars=DIFF_CHARS)
    except OverseerError as err:
        return Diff(None, f"the diff cannot be read: {err}")
    if not text.strip():
        return Diff(None, "the run changed nothing")
    note = f"cut at {DIFF_CHARS:,} characters" if len(text) >= DIFF_CHARS else ""
    html = str(highlight(text, DiffLexer(), HtmlFormatter(nowrap=True)))
    return Diff(Markup(html), note)  # Pygments escapes the text it wraps in spans


def duration(run: Run) -> float | None:
    if run.started_at is None:
        return None
    end = run.ended_at or run.heartbeat_at
    return (end - run.started_at).total_seconds() if end else None


def stage_rows(stages: tuple[StageResult, ...]) -> list[dict[str, object]]:
    rows = []
    for s in stages:
        found = sorted(s.findings, key=lambda f: -f.severity.rank)
        rows.append({"stage": s, "findings": found[:FINDINGS_SHOWN], "more": max(0, len(found) - FINDINGS_SHOWN)})
    return rows


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, ctx: Ctx, run_id: str) -> HTMLResponse:
    run = ctx.runs.get_run(run_id)
    try:
        title = ctx.sup.get(run.task_id).title
    except TaskNotFound:
        title = "(task gone)"
    fragment = request.query_params.get("fragment")
    log, size = read_tail(run_dir(ctx.root, run.id) / LOGS["output"], LOG_TAIL) if fragment is None else ("", 0)
    data = {"run": run, "task_title": title, "log": log, "log_size": size, "log_cut": size > len(log.encode()),
            "duration": duration(run), "stages": stage_rows(run.stages),
            "diff": diff_of(ctx, run) if fragment in (None, "diff") else Diff(None)}
    return page(request, "run.html", data, active="board", title=f"run {run.id}")

