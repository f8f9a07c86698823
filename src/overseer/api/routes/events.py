"""The event log: paged (``/events``) and live (``/events/stream``, server-sent events)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from overseer.api.context import AppContext, context
from overseer.api.events import stream
from overseer.domain.serialize import event_dict

router = APIRouter(tags=["events"])
Ctx = Annotated[AppContext, Depends(context)]
BACKLOG = 1000
MAX_SEQ = 2**63 - 1  # the largest integer SQLite and PostgreSQL store
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot hold NUL in text


@router.get("/events", summary="The append-only event log, oldest first, after a sequence number")
def events(ctx: Ctx, after: Annotated[int, Query(ge=0, le=MAX_SEQ, description="Only events after this sequence number.")] = 0,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100,
           task: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="Only this task's events.")] = None,
           ) -> dict[str, Any]:
    found = ctx.sup.events(after, limit, task)
    return {"events": [event_dict(e) for e in found], "next_after": found[-1].seq if found else after,
            "more": len(found) == limit}


@router.get("/events/stream", summary="Live events as server-sent events (resume with Last-Event-ID or ?after=)",
            response_class=StreamingResponse)
async def events_stream(request: Request, ctx: Ctx,
                        after: Annotated[int | None, Query(ge=0, le=MAX_SEQ, description="Replay events after this one first.")] = None,
                        task: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
                        kind: Annotated[list[str] | None,
                                        Query(max_length=20, description="Only these kinds ('run' matches run.*).")] = None,
                        last_event_id: Annotated[str | None, Header(max_length=20)] = None) -> StreamingResponse:
    resume = after if after is not None else int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    sub = ctx.broker.subscribe(task_id=task, kinds=tuple(kind or ()))
    found = await asyncio.to_thread(ctx.sup.events, resume, BACKLOG, task) if resume is not None else []
    backlog = [e for e in found if sub.wants(e)]
    return StreamingResponse(stream(ctx.broker, backlog, sub, heartbeat_seconds=ctx.settings.sse_heartbeat_seconds,
                                    disconnected=request.is_disconnected),
                             media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
