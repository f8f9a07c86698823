"""``overseer run``, ``runs``, ``logs``, ``agents`` and ``gc``: the agent runtime from the terminal."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from overseer.bootstrap import agents_report, gc_worktrees, open_runner, run_store
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, err, out, supervisor
from overseer.cli.render import status
from overseer.config import STATE_DIR
from overseer.domain.runs import Run, RunStatus
from overseer.domain.serialize import run_dict
from overseer.runner import RunnerState


def runs_table(runs: list[Run], title: str) -> Table:
    table = Table(title=title, header_style="bold")
    for col in ("run", "task", "profile", "status", "reason", "branch", "head", "tokens", "cost $"):
        table.add_column(col, no_wrap=True)
    for r in runs:
        table.add_row(r.id, r.task_id, r.profile, status(r.status.value), r.exit_reason.value if r.exit_reason else "",
                      r.branch or "", (r.head_commit or "")[:10], f"{r.tokens_in}/{r.tokens_out}", f"{r.cost_usd:.4f}")
    return table


def run(
    once: Annotated[bool, typer.Option("--once", help="Stop when nothing is ready and every run has ended.")] = False,
    max_parallel: Annotated[
        int | None, typer.Option("--max-parallel", "-j", min=1, help="Runs at a time (default: runtime.max_parallel).")
    ] = None,
    worker: Annotated[str | None, typer.Option("--worker", "-w", help="Name of this supervisor in claims and events.")] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="Routing mode: frugal, balanced, performance or max (default: routing.mode).")
    ] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Run ready tasks with their agents, each in its own git worktree, until stopped (or, with --once, until done)."""
    with supervisor(as_json, repo) as sup:
        interactive = out.is_terminal and not as_json
        live = Live(runs_table([], "starting…"), console=out, refresh_per_second=4) if interactive else None

        def changed(state: RunnerState) -> None:
            if live is not None:
                live.update(runs_table([*state.finished[-10:], *state.active.values()], f"{len(state.active)} running, "
                                                                                        f"{len(state.finished)} finished"))
            elif not as_json:
                for r in state.finished[len(seen):]:
                    err.print(f"run {r.id} {r.task_id} [{r.profile}] {r.status.value} ({r.exit_reason.value if r.exit_reason else ''})")
                    seen.append(r.id)

        seen: list[str] = []
        runner = open_runner(sup, worker=worker or f"{actor()}@overseer", on_change=changed, mode=mode)
        try:
            if live is not None:
                with live:
                    state = asyncio.run(runner.run(once=once, max_parallel=max_parallel))
            else:
                state = asyncio.run(runner.run(once=once, max_parallel=max_parallel))
        except KeyboardInterrupt:
            err.print("stopped; runs still live will be found and re-queued at the next start")
            raise typer.Exit(130) from None
    if as_json:
        emit_json({"finished": [run_dict(r) for r in state.finished], "skipped": state.skipped})
        return
    out.print(runs_table(state.finished, f"{len(state.finished)} runs finished"))
    for task_id, why in state.skipped.items():
        err.print(f"not started: {task_id}: {why}")


def runs(
    task: Annotated[str | None, typer.Option("--task", help="Only runs of this task.")] = None,
    status_: Annotated[list[RunStatus] | None, typer.Option("--status", "-s")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1)] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Runs, newest first: status, exit reason, branch, commits, tokens and cost."""
    with supervisor(as_json, repo) as sup:
        found = run_store(sup).list_runs(task_id=task, statuses=tuple(status_) if status_ else None, limit=limit)
    if as_json:
        emit_json([run_dict(r) for r in found])
    else:
        out.print(runs_table(found, f"{len(found)} runs"))


def logs(
    run_id: str,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing until the run ends.")] = False,
    events: Annotated[bool, typer.Option("--events", help="The parsed events (JSON lines) instead of the raw output.")] = False,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """The output of a run (bounded: head and tail kept), live with --follow."""
    with supervisor(as_json, repo) as sup:
        store = run_store(sup)
        run_ = store.get_run(run_id)
        path = Path(sup.root) / STATE_DIR / "runs" / run_.id / ("events.jsonl" if events else "output.log")
        if as_json and not follow:
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            emit_json({"run": run_.id, "status": run_.status.value, "path": str(path), "text": text})
            return
        offset = 0
        while True:
            if path.exists():
                with path.open("rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read()
                offset += len(chunk)
                sys.stdout.write(chunk.decode("utf-8", errors="replace"))
                sys.stdout.flush()
            if not follow or store.get_run(run_id).status.is_final():
                return
            time.sleep(0.5)


def agents(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Agent CLIs found (PATH and .tools), their versions, and which profiles can run now."""
    with supervisor(as_json, repo) as sup:
        rows = agents_report(sup)
    if as_json:
        emit_json(rows)
        return
    table = Table(title="agent harnesses", header_style="bold")
    for col in ("harness", "found", "version", "profiles"):
        table.add_column(col)
    for r in rows:
        profiles = r["profiles"]
        assert isinstance(profiles, dict)
        found = r["path"] or (f"no ({r['binary']} not found)" if r["binary"] else "per profile (its command)")
        table.add_row(str(r["harness"]), str(found), str(r["version"] or ""),
                      "\n".join(f"{k}: {v}" for k, v in profiles.items()))
    out.print(table)


def gc(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Remove worktrees of runs that ended (by age, then oldest first until under the disk cap) and orphans."""
    with supervisor(as_json, repo) as sup:
        removed = gc_worktrees(sup)
    if as_json:
        emit_json({"removed": removed})
    else:
        out.print(f"removed {len(removed)} worktrees" + "".join(f"\n  {p}" for p in removed))
