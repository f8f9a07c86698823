"""The root of the ``overseer`` command: sub-command groups and the top-level commands."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from overseer import __version__
from overseer.bootstrap import init_project
from overseer.cli import audit, brain, demo, gates, graph, mcp, plan, quota, runs, serve, skill, tasks
from overseer.cli.common import JsonFlag, RepoOpt, emit_json, err, fail, out, supervisor
from overseer.cli.render import event_line, task_table
from overseer.domain import OverseerError
from overseer.domain.serialize import event_dict, task_dict

app = typer.Typer(
    name="overseer",
    help="Supervise AI coding agents: a task graph, routed runs in isolated worktrees, verified landings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(tasks.app, name="task")
app.add_typer(graph.deps, name="dep")
app.add_typer(graph.epics, name="epic")
app.add_typer(plan.app, name="plan")
app.add_typer(brain.app, name="brain")
app.add_typer(skill.app, name="skill")
imports = typer.Typer(help="Import tasks from other trackers.", no_args_is_help=True)
exports = typer.Typer(help="Export tasks for other trackers.", no_args_is_help=True)
app.add_typer(imports, name="import")
app.add_typer(exports, name="export")
app.command("demo")(demo.demo)
for _name in ("run", "runs", "logs", "agents", "gc"):
    app.command(_name)(getattr(runs, _name))
for _name in ("quota", "providers", "cost", "route", "park", "unpark"):
    app.command(_name)(getattr(quota, _name))
for _name in ("approvals", "approve", "reject", "show", "notify"):
    app.command(_name)(getattr(gates, _name))
app.command("audit")(audit.audit)
app.command("serve")(serve.serve)
app.command("mcp")(mcp.mcp)


TABLE_ROWS = 50  # a person reads the top of the list; --json gives all of it


def _version(value: bool) -> None:
    if value:
        out.print(f"overseer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Overseer."""


@app.command("init")
def init(path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."), as_json: JsonFlag = False) -> None:
    """Write a commented overseer.yaml and create .overseer/ (database included)."""
    try:
        info = init_project(path)
    except OverseerError as exc:
        fail(str(exc), as_json=as_json, kind=type(exc).__name__)
    if as_json:
        emit_json(info)
        return
    out.print(f"{'wrote' if info['config_written'] else 'kept'} {info['config']}")
    out.print(f"state in {info['state']}  (database {info['database']})")


@app.command("ready")
def ready(
    claim: Annotated[bool, typer.Option("--claim", help="Atomically claim the top ready task and print it (nothing if none).")] = False,
    worker: Annotated[str | None, typer.Option("--worker", "-w", help="Who claims (default: $OVERSEER_ACTOR or the user).")] = None,
    lease: Annotated[float | None, typer.Option("--lease", help="Lease in seconds (default from overseer.yaml).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1)] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Tasks that can start now: open, unblocked, unclaimed, not held; most urgent first."""
    from overseer.cli.common import actor

    with supervisor(as_json, repo) as sup:
        if claim:
            task = sup.claim_next(worker or actor(), lease)
            if task is None:
                if not as_json:
                    err.print("nothing is ready")
                return
            if as_json:
                emit_json(task_dict(task))
            else:
                out.print(f"claimed [bold]{task.id}[/]  {task.title}  (lease until {task.lease_expires_at:%H:%M:%S})")
            return
        found = sup.ready(limit)
    if as_json:
        emit_json([task_dict(t) for t in found])
        return
    shown = found if limit is not None else found[:TABLE_ROWS]
    out.print(task_table(shown, title=f"{len(found)} ready"))
    if len(shown) < len(found):
        err.print(f"… and {len(found) - len(shown)} more (--limit N to choose, --json for all)")


@app.command("events")
def events(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events as they happen (Ctrl-C stops).")] = False,
    after: Annotated[int, typer.Option("--after", help="Only events after this sequence number.")] = 0,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 100,
    task: Annotated[str | None, typer.Option("--task", help="Only events of this task.")] = None,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between polls with --follow.")] = 0.5,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """The append-only event log (--json: an array; with --follow, one JSON object per line)."""
    with supervisor(as_json, repo) as sup:
        if not follow:
            found = sup.events(after, limit, task)
            if as_json:
                emit_json([event_dict(e) for e in found])
            for e in [] if as_json else found:
                out.print(event_line(e))
            return
        seq = after
        try:
            while True:
                batch = sup.events(seq, 1000, task)
                for e in batch:
                    if as_json:
                        emit_json(event_dict(e))
                    else:
                        out.print(event_line(e))
                    seq = e.seq
                if not batch:
                    time.sleep(interval)
        except KeyboardInterrupt:
            return


@imports.command("beads")
def import_beads(
    file: Annotated[Path, typer.Argument(help="A Beads JSONL export (.beads/issues.jsonl).", exists=True, dir_okay=False)],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good lines and report the bad ones.")] = False,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Import Beads issues: ids kept, statuses mapped, every other field kept for export. All or nothing."""
    from overseer.cli.common import actor

    started = time.perf_counter()
    with supervisor(as_json, repo) as sup:
        summary, skipped = sup.import_beads(file, actor=actor(), skip_bad=skip_bad)
    seconds = round(time.perf_counter() - started, 3)
    if as_json:
        emit_json({"created": summary.created, "updated": summary.updated, "dependencies": summary.dependencies,
                   "skipped": [{"line": n, "error": m} for n, m in skipped], "seconds": seconds})
        return
    out.print(f"imported {summary.created} new and {summary.updated} updated tasks, {summary.dependencies} dependencies in {seconds}s")
    for line_no, message in skipped:
        err.print(f"skipped {file}:{line_no}: {message}")


@exports.command("beads")
def export_beads(
    file: Annotated[Path, typer.Argument(help="Where to write the JSONL (replaced atomically).", dir_okay=False)],
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Export every task as Beads JSONL."""
    with supervisor(as_json, repo) as sup:
        count = sup.export_beads(file)
    if as_json:
        emit_json({"written": count, "file": str(file)})
    else:
        out.print(f"wrote {count} issues to {file}")


def run() -> None:
    app()
