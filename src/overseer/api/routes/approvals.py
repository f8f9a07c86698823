"""Approvals: what waits for a person (held tasks, gated landings, work that needs guidance, finished epics), and
approving or rejecting it — the same ``overseer.gate.Approvals`` as ``overseer approvals|approve|reject``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from overseer.api.context import AppContext, context

router = APIRouter(tags=["approvals"])
Ctx = Annotated[AppContext, Depends(context)]
TaskId = Annotated[str, Path(max_length=200, description="A task or epic waiting for approval (GET /approvals lists them).")]


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=10_000, description="Kept in the event log and the merge commit.")


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=10_000, description="Why; it becomes the agent's feedback.")


@router.get("/approvals", summary="What waits for a person, with why and the run and verdict behind it")
def pending(ctx: Ctx) -> dict[str, Any]:
    rows = [a.dict() for a in ctx.approvals().pending()]
    return {"approvals": rows, "count": len(rows)}


@router.post("/approvals/{task_id}/approve",
             summary="Approve: lift a start gate (action `released`), land a verified run (`landed`) or merge an epic (`merged`)")
def approve(ctx: Ctx, task_id: TaskId, body: Annotated[ApproveBody | None, Body()] = None) -> dict[str, object]:
    """The outcome says what happened: ``action`` is ``released``, ``landed`` or ``merged`` when the approval took
    effect; anything else (``sent_back`` after a merge conflict or a failed retest, ``conflict``, ``moved``) is explained
    in ``detail``."""
    return ctx.approvals().approve(task_id, note=body.note if body else None).dict()


@router.post("/approvals/{task_id}/reject",
             summary="Reject with a reason: a held task is cancelled; other work reopens with the reason as feedback")
def reject(ctx: Ctx, task_id: TaskId, body: RejectBody) -> dict[str, object]:
    return ctx.approvals().reject(task_id, reason=body.reason).dict()
