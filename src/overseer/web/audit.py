"""``/audit``: the commit auditor's reports, newest first — status, commit, security score, metrics, and the issues with
their severity. Reports are files another process writes: every field is read defensively."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from overseer.api.context import AppContext, context
from overseer.audit.reports import list_reports
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
PER_PAGE = 20
ISSUES_SHOWN = 25
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


@dataclass(frozen=True)
class Issue:
    id: str
    severity: str
    type: str
    where: str
    description: str
    new: bool


@dataclass(frozen=True)
class Report:
    name: str
    timestamp: str
    commit: str
    status: str
    score: str
    coverage: float | None
    pass_rate: float | None
    commits: int
    skipped: int
    resolved: int
    issues: list[Issue]
    counts: dict[str, int] = field(default_factory=dict)
    stages: list[Mapping[str, Any]] = field(default_factory=list)


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _issue(raw: Mapping[str, Any]) -> Issue:
    file, line = raw.get("file"), raw.get("line")
    where = f"{file}:{line}" if file and line else str(file or "")
    return Issue(str(raw.get("id", "")), str(raw.get("severity", "INFO")).upper(), str(raw.get("type", "")), where,
                 str(raw.get("description", "")), bool(raw.get("new", True)))


def report(raw: Mapping[str, Any]) -> Report:
    metrics = raw.get("metrics") if isinstance(raw.get("metrics"), Mapping) else {}
    assert isinstance(metrics, Mapping)
    issues = [_issue(i) for i in raw.get("issues") or () if isinstance(i, Mapping)]
    counts = {s: n for s in SEVERITIES if (n := sum(1 for i in issues if i.severity == s))}
    stages = [s for s in raw.get("stages") or () if isinstance(s, Mapping)]
    return Report(str(raw.get("name", "")), str(raw.get("timestamp", "")), str(raw.get("commit_hash", "")),
                  str(raw.get("status", "?")).upper(), str(metrics.get("security_score", "")), _float(metrics.get("coverage")),
                  _float(metrics.get("test_pass_rate")), len(raw.get("commits") or ()), len(raw.get("skipped_commits") or ()),
                  len(raw.get("resolved") or ()), issues, counts, stages)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, ctx: Ctx, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    found, total = list_reports(ctx.root, limit=PER_PAGE, offset=offset)
    data = {"reports": [report(r) for r in found], "total": total, "offset": offset, "per_page": PER_PAGE,
            "issues_shown": ISSUES_SHOWN}
    return page(request, "audit.html", data, active="audit", title="Audit")
