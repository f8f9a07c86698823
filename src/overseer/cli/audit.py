"""``overseer audit``: audit new commits once, a range for CI (``--since REV``), or keep watching (``--watch``)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from overseer.audit import Watcher
from overseer.bootstrap import file_changes, open_auditor
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, out, supervisor
from overseer.domain.audit import AuditReport, AuditState

CRITICAL_EXIT = 2  # --since / a one-off audit found something CRITICAL (errors exit 1)
COLOURS = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "dim", "INFO": "dim"}


def audit(
    target: Annotated[Path | None, typer.Argument(metavar="[REPO]", help="The repository (default: this project).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Keep watching: new commits, and uncommitted work once quiet.")] = False,
    since: Annotated[str | None, typer.Option("--since", metavar="REV", help="Audit REV..HEAD once (CI, hooks).")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Audit commits: secrets in every new commit, static checks on the files they changed, the tests of HEAD; a report
    per audited commit in .overseer/audit/, feedback files in the inbox. Exits 2 when a finding is CRITICAL."""
    def on_state(state: AuditState, why: str) -> None:
        if as_json:
            emit_json({"state": state.value, "why": why, "at": datetime.now().isoformat(timespec="seconds")})
        else:
            out.print(f"[dim]{datetime.now():%H:%M:%S}[/] [bold cyan]{state.value:<15}[/] {why}")

    with supervisor(as_json, target or repo) as sup:
        auditor = open_auditor(sup, actor=actor(), on_state=on_state if (watch or not as_json) else None)
        if watch:
            watcher = Watcher(auditor, file_changes(sup.root, (sup.config.audit.inbox,)), on_report=lambda r: _show(r, as_json))
            if not as_json:
                out.print(f"watching {sup.root} (every {sup.config.audit.poll_seconds:g}s; uncommitted work after "
                          f"{sup.config.audit.debounce_seconds:g}s quiet); Ctrl-C stops")
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(watcher.run())
            return
        report = auditor.audit_since(since) if since else auditor.audit_new()
    if report is None:
        if as_json:
            emit_json({"audited": False, "reason": "no new commits to audit"})
        else:
            out.print("nothing new to audit")
        return
    _show(report, as_json)
    if report.critical:
        raise typer.Exit(CRITICAL_EXIT)


def _show(report: AuditReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_dict())
        return
    m: dict[str, Any] = dict(report.metrics)
    colour = "green" if report.status == "PASS" else "red"
    out.print(f"[bold {colour}]{report.status}[/] {report.commit_hash[:10]} · {len(report.commits)} commit(s)"
              + (f", {len(report.skipped)} skipped ([skip-audit])" if report.skipped else "")
              + f" · security {m['security_score']} · tests passing {_pct(m['test_pass_rate'], 100)} · coverage {_pct(m['coverage'], 1)}")
    if report.issues:
        table = Table(header_style="bold")
        for col in ("id", "severity", "type", "where", "issue", "new"):
            table.add_column(col, overflow="fold")
        for i in report.issues:
            sev = i.severity.value.upper()
            where = f"{i.file or '-'}:{i.line or ''}"
            table.add_row(i.id, f"[{COLOURS[sev]}]{sev}[/]", i.type, where, i.description, "yes" if i.new else "")
        out.print(table)
    if report.resolved:
        out.print(f"{len(report.resolved)} earlier finding(s) resolved")


def _pct(value: Any, factor: float) -> str:
    """A fraction (factor 100) or a percent (factor 1) as "87%"; "-" when not measured."""
    return "-" if value is None else f"{float(value) * factor:.0f}%"
