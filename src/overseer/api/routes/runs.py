"""Runs: the list, one run with its verdict and stage results, its log (a tail, or followed live as server-sent events)
and its diff.

The log stream (``/runs/{id}/log/stream``) sends ``event: log`` with ``{"text", "offset"}`` for what was appended to the
file (``offset``: the byte position after it, to resume with ``?offset=``), and a last ``event: end`` with
``{"status"}`` once the run's status is final and the file is drained. It polls the file every ``POLL_SECONDS`` and
stops when the client goes away.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from overseer.api import problems
from overseer.api.context import AppContext, context
from overseer.api.events import sse
from overseer.api.files import LOGS, read_chunk, read_tail, run_dir, safe_relpath
from overseer.bootstrap import run_diff
from overseer.domain import NotFound
from overseer.domain.runs import Run, RunStatus
from overseer.domain.serialize import run_dict

router = APIRouter(tags=["runs"])
Ctx = Annotated[AppContext, Depends(context)]
RunId = Annotated[str, PathParam(max_length=128, description="A run id (GET /runs lists them).")]
LogKind = Annotated[Literal["output", "events"],
                    Query(description="output: the agent's raw output (output.log); events: its parsed events (events.jsonl).")]

POLL_SECONDS = 0.25       # how often a followed log is read again
MAX_OFFSET = 100_000      # deepest page of /runs
DEFAULT_TAIL = 64 * 1024
MAX_TAIL = 8 * 1024 * 1024
EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"description": "`event: log` data {text, offset} per read; `event: end` data {status} last.",
          "content": {"text/event-stream": {}}}}
NO_COMMITS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The run has no commits to compare yet (it is still running, or it failed before committing)."}}


@router.get("/runs", summary="Runs, newest first, by task and status")
def list_runs(ctx: Ctx, task: Annotated[str | None, Query(max_length=200, description="Only runs of this task.")] = None,
              status: Annotated[list[RunStatus] | None, Query(max_length=10, description="Only runs in these states.")] = None,
              limit: Annotated[int | None, Query(ge=1, le=500, description="Page size (default 50).")] = None,
              offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
    size = min(limit or ctx.settings.page_size, ctx.settings.max_page_size)
    found = ctx.runs.list_runs(task_id=task, statuses=tuple(status) if status else None, limit=offset + size + 1)
    page = found[offset: offset + size]
    return {"runs": [run_dict(r) for r in page], "offset": offset, "limit": size, "more": len(found) > offset + size}


@router.get("/runs/{run_id}", summary="One run: how it ended, tokens and cost, the verification verdict, stages and landing")
def get_run(ctx: Ctx, run_id: RunId) -> dict[str, Any]:
    run = ctx.runs.get_run(run_id)
    landing = [dict(e.data) for e in ctx.sup.events(0, 10_000, run.task_id) if e.run_id == run.id and e.kind == "land.result"]
    return {**run_dict(run), "landing": landing}


@router.get("/runs/{run_id}/log", summary="The end of a run's log (output.log or events.jsonl)")
def run_log(ctx: Ctx, run_id: RunId, kind: LogKind = "output",
            tail_bytes: Annotated[int, Query(ge=1, le=MAX_TAIL, description="At most this many bytes from the end.")] = DEFAULT_TAIL
            ) -> dict[str, Any]:
    run = ctx.runs.get_run(run_id)
    text, size = read_tail(_log_path(ctx, run, kind), tail_bytes)
    return {"run": run.id, "status": run.status.value, "kind": kind, "text": text, "size": size}


@router.get("/runs/{run_id}/log/stream", response_class=StreamingResponse, responses=EVENT_STREAM,
            summary="Follow a run's log as server-sent events: `log` {text, offset} as it grows, then `end` {status}")
async def run_log_stream(request: Request, ctx: Ctx, run_id: RunId, kind: LogKind = "output",
                         offset: Annotated[int, Query(ge=0, le=2**53, description="Start at this byte (the `size` GET /log gave).")] = 0
                         ) -> StreamingResponse:
    run = await asyncio.to_thread(ctx.runs.get_run, run_id)
    path = _log_path(ctx, run, kind)

    def status() -> RunStatus:
        return ctx.runs.get_run(run.id).status

    body = follow(path, offset, status, disconnected=request.is_disconnected, heartbeat_seconds=ctx.settings.sse_heartbeat_seconds)
    return StreamingResponse(body, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def follow(path: Path, offset: int, status: Callable[[], RunStatus], *, disconnected: Callable[[], Awaitable[bool]],
                 heartbeat_seconds: float) -> AsyncIterator[str]:
    """What is appended to ``path`` from ``offset`` on, until the run is final and the file drained, or the client leaves.

    The status is read before the file, so nothing written before the run ended can be missed. A UTF-8 character cut in
    two by the writer waits for its last bytes; the ``offset`` sent is always at a character boundary."""
    yield "retry: 2000\n\n"
    quiet = 0.0
    while True:
        final = (await asyncio.to_thread(status)).is_final()
        while True:
            text, offset = await asyncio.to_thread(read_chunk, path, offset, final)
            if not text:
                break
            quiet = 0.0
            yield sse("log", {"text": text, "offset": offset})
        if final:
            yield sse("end", {"status": (await asyncio.to_thread(status)).value})
            return
        if await disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= heartbeat_seconds:
            quiet = 0.0
            yield ": keep-alive\n\n"


@router.get("/runs/{run_id}/diff", responses=NO_COMMITS,
            summary="The run's change (base..head); `path` keeps one file's section; format=text for the plain patch")
def get_diff(request: Request, ctx: Ctx, run_id: RunId,
             path: Annotated[str | None, Query(max_length=4096, description="Only this repository-relative file.")] = None,
             format: Annotated[Literal["json", "text"], Query()] = "json") -> Response:
    run = ctx.runs.get_run(run_id)
    wanted = safe_relpath(path, field="path") if path is not None else None
    if not run.base_commit or not run.head_commit:
        return problems.problem(409, "No commits", f"run {run.id} has no commits to compare yet (it is {run.status.value}); "
                                "its diff exists once the agent's work is committed", instance=request.url.path, run_id=run.id)
    sections = split_diff(run_diff(ctx.sup, run.base_commit, run.head_commit))
    if wanted is not None:
        sections = [s for s in sections if wanted in s[1]]
        if not sections:
            raise NotFound(f"run {run.id} did not change {wanted!r}")
    text = "".join(s[2] for s in sections)
    if format == "text":
        return PlainTextResponse(text, media_type="text/x-diff; charset=utf-8")
    return JSONResponse({"run": run.id, "base": run.base_commit, "head": run.head_commit, "path": wanted,
                         "files": [s[0] for s in sections], "diff_stat": dict(run.diff_stat), "text": text})


def _log_path(ctx: AppContext, run: Run, kind: str) -> Path:
    return run_dir(ctx.root, run.id) / LOGS[kind]


_HEADER = re.compile(r"^diff --git a/(.*) b/(.*)$")
_NAMES = ("--- a/", "+++ b/", "rename from ", "rename to ", "copy from ", "copy to ")


def split_diff(diff: str) -> list[tuple[str, frozenset[str], str]]:
    """A unified git diff as (file, every name it goes by, its section) per file, in order. Names come from the
    section's header lines only (``diff --git``, ``---``/``+++``, rename and copy lines), never from the hunks."""
    out = []
    for section in re.split(r"(?m)^(?=diff --git )", diff):
        if not section.startswith("diff --git "):
            continue
        head, _, rest = section.partition("\n")
        found: dict[str, str] = {}
        for line in rest.split("\n"):
            if line.startswith("@@"):
                break
            found.update({p: line[len(p):].rstrip("\t") for p in _NAMES if line.startswith(p)})
        match = _HEADER.match(head)
        if match and match.group(1) == match.group(2):
            found["header"] = match.group(1)
        names = frozenset(found.values())
        primary = found.get("+++ b/") or found.get("rename to ") or found.get("header") or found.get("--- a/") or head
        out.append((primary, names, section))
    return out
