"""The commit auditor's reports (``.overseer/audit/report_<sha>.json``), newest first, and one by its commit sha."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from overseer.api.context import AppContext, context
from overseer.audit.reports import list_reports, load_report

router = APIRouter(tags=["audit"])
Ctx = Annotated[AppContext, Depends(context)]


@router.get("/audit/reports", summary="Audit reports, newest first: status, metrics, issues, the commits each covered")
def reports(ctx: Ctx, limit: Annotated[int | None, Query(ge=1, le=500, description="Page size (default 50).")] = None,
            offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    size = min(limit or ctx.settings.page_size, ctx.settings.max_page_size)
    page, total = list_reports(ctx.root, limit=size, offset=offset)
    return {"reports": page, "total": total, "offset": offset, "limit": size, "more": offset + size < total}


@router.get("/audit/reports/{sha:path}", summary="One audit report by its commit sha (a unique prefix of 7+ hex digits) or 'uncommitted'")
def report(ctx: Ctx, sha: Annotated[str, Path(max_length=200, description="A commit sha, or 'uncommitted'.")]) -> dict[str, Any]:
    return load_report(ctx.root, sha)
