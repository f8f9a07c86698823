"""``overseer demo``: the whole pipeline on a sample repository, on the built-in scripted model, with the dashboard served."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from overseer.cli.common import JsonFlag, emit_json, err, fail, out
from overseer.demo.pipeline import Demo, DemoOptions, Started
from overseer.demo.report import DemoResult, TaskSummary
from overseer.domain import OverseerError

REAL = ("the command harness running overseer.demo.agent as a subprocess in a git worktree per run, real HTTP to the model "
        "server, verification (diff, ruff/bandit, secret scan, the sample's pytest suite, review), routing with a cascade, "
        "landing on the epic's branch, the commit audit, the API and dashboard")


class Printer:
    """The demo's listener: a header with the URL, a line per step, the summary table (or one JSON object)."""

    def __init__(self, as_json: bool, serve: bool) -> None:
        self.as_json, self.serve = as_json, serve
        self.console: Console = err if as_json else out
        self.result: DemoResult | None = None

    def started(self, info: Started) -> None:
        c = self.console
        c.print("[bold]Overseer demo[/]: an epic of five dependent tasks, run end to end")
        c.print(f"  [yellow]No real model is used[/]: profiles scripted-small and scripted-large run on Overseer's built-in scripted "
                f"model at {info.model_url} (answers scripted in overseer/demo/model.py; no API key, no network).")
        c.print(f"  Real: {REAL}.")
        c.print(f"  repository  {info.repo}")
        c.print(f"  dashboard   {info.url}/   sign in: {info.login}")
        c.print(f"  API         {info.url}/api/v1   (OpenAPI {info.url}/docs)")
        c.print(f"  epic        {info.epic}")

    def line(self, text: str) -> None:
        self.console.print(f"  {text}", markup=False)

    def finished(self, result: DemoResult) -> None:
        self.result = result
        if self.as_json:
            emit_json(result.to_dict())
        else:
            self.summary(result)
        if self.serve and result.ok:
            self.console.print(f"serving {result.url}/ until Ctrl-C (the scripted model too, for rejections and retries)")

    def summary(self, result: DemoResult) -> None:
        out.print(summary_table(result))
        status = "[green]ok[/]" if result.ok else "[red]failed[/]"
        out.print(f"{status} after {result.seconds:g}s: {result.reason}")
        out.print(f"  epic          {result.epic} is {result.epic_status} on {result.epic_branch or '-'}; "
                  f"review of the whole epic: {result.epic_review or '-'}")
        out.print(f"  audit report  {result.audit_report or '-'} ({result.audit_status or 'none'})")
        out.print(f"  dashboard     {result.url}/   sign in: {result.login}")
        if not self.serve:
            out.print(f"{'':16}(served while the demo ran: `overseer demo --serve` keeps it up, or `overseer serve -C {result.repo}`)")
        out.print(f"  served        the scripted model answered {result.model_requests} requests, the API {result.api.get('requests')}")
        retried = next((a.run for t in result.tasks for a in t.attempts if a.failed), None)
        out.print(f"  next, in {result.repo}:")
        if retried:
            what = "the planted failure" if result.ok else "a failed attempt"
            out.print(f"    overseer show {retried:<20}{what}: its stages and findings")
        if result.ok:
            out.print(f"    overseer serve{'':20}the dashboard again, over this repository")
            out.print(f"    overseer approvals{'':16}the epic waits there (or on the dashboard)")
            out.print(f"    git log --graph {result.epic_branch}")
            out.print(f"    overseer approve {result.epic:<17}merge the epic into main")
        else:
            out.print(f"    overseer events --task {result.epic}")


def _attempts(task: TaskSummary) -> str:
    parts = []
    for a in task.attempts:
        why = f" ({a.failed[0].split(':')[0]})" if a.failed else ""
        parts.append(f"{a.attempt}: {a.profile} → {a.verdict or a.status}{why}")
    return "\n".join(parts) or "-"


def summary_table(result: DemoResult) -> Table:
    table = Table(title=f"Epic {result.epic}: {result.epic_title} — {result.epic_status}")
    for col in ("task", "id", "status", "attempts: profile → verdict", "landed", "tokens", "cost"):
        table.add_column(col, justify="right" if col in ("tokens", "cost") else "left")
    for t in result.tasks:
        landed = next((a.landed_commit[:10] for a in t.attempts if a.landed_commit), "-")
        tokens = sum(a.tokens_in + a.tokens_out for a in t.attempts)
        cost = sum(a.cost_usd for a in t.attempts)
        table.add_row(t.key, t.id, t.status, _attempts(t), landed, f"{tokens:,}", f"${cost:.4f}")
    return table


PathOpt = Annotated[Path | None, typer.Option("--path", help="Where to create the sample repository (new or empty folder; default: temp).")]
PortOpt = Annotated[int | None, typer.Option("--port", "-p", min=0, max=65535,
                                             help="Dashboard port; 0: any free one. [default: 8765, or a free one when taken]")]
ServeOpt = Annotated[bool, typer.Option("--serve", help="Keep serving the dashboard after the epic waits for approval (Ctrl-C stops).")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=10, help="Give up when the epic has not finished after this many seconds.")]


def demo(path: PathOpt = None, port: PortOpt = None, serve: ServeOpt = False, timeout: TimeoutOpt = 300, as_json: JsonFlag = False) -> None:
    """Run the whole pipeline on a sample repository with the built-in scripted model (no key, no network): routing, runs in
    worktrees, a planted failing attempt that cascades and then passes, verification, landing and audit, while serving the
    dashboard. Exits 0 when the epic waits for approval."""
    printer = Printer(as_json, serve)
    try:
        result = Demo(DemoOptions(path=path, port=port, serve=serve, timeout_seconds=timeout), printer).run()
    except KeyboardInterrupt:
        if printer.result is None:  # Ctrl-C before the epic finished
            fail("interrupted before the epic finished", as_json=as_json, exit_code=130)
        result = printer.result  # Ctrl-C ends --serve: the outcome stands
    except OverseerError as exc:
        fail(str(exc), as_json=as_json, kind=type(exc).__name__)
    except OSError as exc:
        fail(f"the demo could not go on: {exc}", as_json=as_json)
    if not result.ok:
        raise typer.Exit(1)
