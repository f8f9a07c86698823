"""Reading the auditor's reports back (``.overseer/audit/report_<sha>.json``), newest first, for the API and dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from overseer.config import STATE_DIR
from overseer.domain import NotFound, ValidationError

REPORT_NAME = re.compile(r"^(?:[0-9a-f]{7,64}|uncommitted)$")


def audit_dir(root: Path) -> Path:
    return root / STATE_DIR / "audit"


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a report being written, or damaged: left out rather than failing the list
    return data if isinstance(data, dict) else None


def list_reports(root: Path, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """(reports newest first, how many there are). Each is the stored JSON plus ``name`` (the sha, or ``uncommitted``)."""
    files = sorted(audit_dir(root).glob("report_*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    page: list[dict[str, Any]] = []
    for path in files[offset: offset + limit]:
        data = _load(path)
        if data is not None:
            page.append({"name": path.stem.removeprefix("report_"), **data})
    return page, len(files)


def load_report(root: Path, name: str) -> dict[str, Any]:
    """One report by its commit sha (a unique prefix of 7+ hex digits is enough) or ``uncommitted``."""
    if not REPORT_NAME.match(name):
        raise ValidationError("sha", f"{name!r} is not a commit sha (7 to 64 hex digits) or 'uncommitted'")
    exact = audit_dir(root) / f"report_{name}.json"
    matches = [exact] if exact.exists() else sorted(audit_dir(root).glob(f"report_{name}*.json"))
    if len(matches) != 1:
        why = "no audit report" if not matches else f"{len(matches)} audit reports"
        raise NotFound(f"{why} for {name!r} (list them with GET /api/v1/audit/reports)")
    data = _load(matches[0])
    if data is None:
        raise NotFound(f"the audit report for {name!r} cannot be read")
    return {"name": matches[0].stem.removeprefix("report_"), **data}
