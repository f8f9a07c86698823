"""``overseer approvals``, ``approve``, ``reject``, ``show RUN`` and ``notify``: the gates and what verification said."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from overseer.bootstrap import open_approvals, open_gatekeeper, run_store
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, out, supervisor
from overseer.cli.render import status
from overseer.domain.serialize import run_dict
from overseer.domain.verification import StageResult, StageStatus

STAGE_COLOUR = {StageStatus.PASSED: "green", StageStatus.FAILED: "red", StageStatus.TIMEOUT: "red", StageStatus.ERROR: "magenta",
                StageStatus.SKIPPED: "dim"}


def approvals(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """What waits for a person: tasks held before they start, verified work gated before landing, work that needs
    guidance, and epics ready to merge into the base branch."""
    with supervisor(as_json, repo) as sup:
        rows = [a.dict() for a in open_approvals(sup, actor=actor()).pending()]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} waiting for approval", header_style="bold")
    for col in ("id", "kind", "title", "run", "verdict", "why"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), str(r["kind"]), str(r["title"]), str(r["run"] or ""), str(r["verdict"] or ""), str(r["reason"]))
    out.print(table)
    if rows:
        out.print("approve: overseer approve ID [--note ...]    reject: overseer reject ID --reason ...")


def approve(
    task_id: Annotated[str, typer.Argument(metavar="ID", help="A task or epic waiting for approval.")],
    note: Annotated[str | None, typer.Option("--note", help="Kept in the event log and the merge commit.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Approve: lift a start gate, land a verified run, or merge a finished epic into the base branch."""
    with supervisor(as_json, repo) as sup:
        outcome = open_approvals(sup, actor=actor()).approve(task_id, note=note).dict()
    if as_json:
        emit_json(outcome)
    else:
        out.print(f"{outcome['id']}: {outcome['action']} — {outcome['detail']} (now {status(str(outcome['status']))})")
    if outcome["action"] not in ("released", "landed", "merged"):
        raise typer.Exit(1)


def reject(
    task_id: Annotated[str, typer.Argument(metavar="ID", help="A task or epic waiting for approval.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; it becomes the agent's feedback.")],
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Reject: the reason goes back as feedback (a task reopens; an epic gets a child task with it)."""
    with supervisor(as_json, repo) as sup:
        outcome = open_approvals(sup, actor=actor()).reject(task_id, reason=reason).dict()
    if as_json:
        emit_json(outcome)
    else:
        out.print(f"{outcome['id']}: {outcome['action']} — {outcome['detail']} (now {status(str(outcome['status']))})")


def show(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="A run id (overseer runs lists them).")],
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """One run: how it ended, the verification stage table with timings and findings, the verdict and where it landed."""
    with supervisor(as_json, repo) as sup:
        run = run_store(sup).get_run(run_id)
        events = [e for e in sup.events(task_id=run.task_id, limit=10_000) if e.run_id == run.id and e.kind == "land.result"]
    if as_json:
        emit_json({**run_dict(run), "landing": [dict(e.data) for e in events]})
        return
    out.print(f"[bold]{run.id}[/] task {run.task_id} · {run.profile} · attempt {run.attempt} · {status(run.status.value)}"
              f"{' (' + run.exit_reason.value + ')' if run.exit_reason else ''}")
    out.print(f"branch {run.branch or '-'}  {(run.base_commit or '')[:10]}..{(run.head_commit or '')[:10]}  "
              f"tokens {run.tokens_in}/{run.tokens_out}  ${run.cost_usd:.4f}")
    if run.error:
        out.print(f"[red]{run.error}[/]")
    out.print(stage_table(run.stages))
    out.print(f"verdict: [bold]{run.verdict.value if run.verdict else 'not verified'}[/]"
              + (f"   landed on {run.target} at {run.landed_commit[:10]}" if run.landed_commit else ""))
    for e in events:
        if e.data.get("status") != "merged":
            out.print(f"landing: {e.data.get('status')} — {e.data.get('detail')}")


def stage_table(stages: tuple[StageResult, ...]) -> Table:
    table = Table(title="verification", header_style="bold")
    for col in ("stage", "status", "time", "detail", "findings"):
        table.add_column(col, overflow="fold")
    for s in stages:
        found = "\n".join(f"[{f.severity.value.upper()}] {f.where} {f.message}" for f in s.findings[:12])
        more = f"\n… {len(s.findings) - 12} more" if len(s.findings) > 12 else ""
        table.add_row(s.stage, f"[{STAGE_COLOUR[s.status]}]{s.status.value.upper()}[/]", f"{s.duration_s:.2f}s", s.detail, found + more)
    return table


def notify(
    summary: Annotated[bool, typer.Option("--summary", help="The last day's summary (what landed, failed, waits).")] = True,
    send: Annotated[bool, typer.Option("--send", help="Deliver it to notify.urls (else only print it).")] = False,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """The daily summary notice; with --send, delivered through Apprise to the configured URLs (run it from cron or a timer)."""
    with supervisor(as_json, repo) as sup:
        notices = open_gatekeeper(sup, actor=actor()).notices
        notice, delivered = notices.send_summary() if send else (notices.summary(), False)
    row: dict[str, Any] = {"title": notice.title, "body": notice.body, "severity": notice.severity, "sent": delivered}
    if as_json:
        emit_json(row)
    else:
        out.print(f"[bold]{notice.title}[/]\n{notice.body}" + ("\n(sent)" if delivered else ""))
    if send and not delivered:
        raise typer.Exit(1)
