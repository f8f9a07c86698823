"""Where the auditor's findings go besides the report: the feedback inbox a coding agent reads (one markdown file per
actionable finding, a summary file for the batched ones) and the register of what was reported, so the same finding is
never reported twice and a fixed one is marked resolved. Writes are atomic (a temp file, then rename)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from overseer.domain.audit import Issue

RESOLVED_MARK = "**Status: RESOLVED**"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


class Register:
    """Every finding the auditor reported, by fingerprint: its id, where it was written, open or resolved."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = read_json(path, {})

    def open_ids(self) -> dict[str, str]:
        return {fp: e["id"] for fp, e in self.entries.items() if e.get("status") == "open"}

    def open_entries(self) -> dict[str, dict[str, Any]]:
        return {fp: e for fp, e in self.entries.items() if e.get("status") == "open"}

    def add(self, issue: Issue, commit: str, inbox: str | None) -> None:
        self.entries[issue.fingerprint] = {"id": issue.id, "severity": issue.severity.value, "type": issue.type, "file": issue.file,
                                           "stage": issue.stage, "commit": commit, "inbox": inbox, "status": "open"}

    def resolve(self, fingerprint: str, commit: str) -> dict[str, Any]:
        entry = self.entries[fingerprint]
        entry.update(status="resolved", resolved_in=commit)
        return entry

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.entries, indent=1, sort_keys=True))


class Inbox:
    """``tasks/supervisor_feedback/`` (configurable): ``ISSUE_<timestamp>_<SEVERITY>.md`` per actionable finding and
    ``SUMMARY_<timestamp>_MEDIUM.md`` per audit for the batched ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def issue(self, issue: Issue, *, commit: str, stamp: str, n: int) -> Path:
        sev = issue.severity.value.upper()
        path = self._free(f"ISSUE_{stamp}_{sev}", n)
        where = f"{issue.file}:{issue.line}" if issue.file and issue.line else issue.file or "-"
        lines = [f"# {sev}: {issue.type} in {where}", "", f"- **Id:** {issue.id}", f"- **Severity:** {sev}",
                 f"- **Commit:** {issue.commit or commit}", f"- **File:** {where}", f"- **Found by:** {issue.stage}"
                 + (f" ({issue.rule})" if issue.rule else ""), "", "## Issue", "", issue.description, "", "## Remediation", "",
                 issue.remediation or "Fix it in the next commit; the auditor checks again and marks this file resolved.", ""]
        write_atomic(path, "\n".join(lines))
        return path

    def summary(self, issues: Sequence[Issue], *, commit: str, stamp: str, severity: str) -> Path:
        path = self._free(f"SUMMARY_{stamp}_{severity.upper()}", 0)
        rows = [f"| {i.id} | {i.severity.value.upper()} | {i.type} | {i.file or '-'}:{i.line or ''} | {i.description} |" for i in issues]
        text = [f"# Audit summary at {commit[:10]}: {len(issues)} finding(s) to fix when convenient", "",
                "| id | severity | type | where | issue |", "|---|---|---|---|---|", *rows, ""]
        write_atomic(path, "\n".join(text))
        return path

    def mark_resolved(self, entry: Mapping[str, Any], commit: str) -> None:
        name = entry.get("inbox")
        if not name:
            return
        path = self.folder / str(name)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if RESOLVED_MARK not in text:
                write_atomic(path, f"{RESOLVED_MARK} in commit {commit}\n\n{text}")

    def _free(self, stem: str, n: int) -> Path:
        path = self.folder / f"{stem}.md"
        k = n
        while path.exists():
            k += 1
            path = self.folder / f"{stem}_{k}.md"
        return path
