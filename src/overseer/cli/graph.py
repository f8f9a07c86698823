"""``overseer dep add|remove|tree`` and ``overseer epic add|status``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, out, supervisor
from overseer.cli.render import dep_tree, epic_panel, task_table
from overseer.domain.serialize import dep_dict, task_dict
from overseer.service import NewTask

deps = typer.Typer(help="Dependencies between tasks: TASK depends on OTHER.", no_args_is_help=True)
epics = typer.Typer(help="Epics: groups of tasks that land together.", no_args_is_help=True)

DepTypeOpt = Annotated[
    str, typer.Option("--type", "-t", help="blocks | parent-child | related | discovered-from (only the first two gate readiness).")
]


@deps.command("add")
def dep_add(task_id: str, depends_on: str, dep_type: DepTypeOpt = "blocks", as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """TASK_ID depends on DEPENDS_ON (refused if it would make a cycle)."""
    with supervisor(as_json, repo) as sup:
        dep = sup.add_dependency(task_id, depends_on, dep_type, actor=actor())
    if as_json:
        emit_json(dep_dict(dep))
    else:
        out.print(f"{dep.task_id} now depends on {dep.depends_on} ({dep.type})")


@deps.command("remove")
def dep_remove(task_id: str, depends_on: str, dep_type: DepTypeOpt = "blocks", as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Remove the dependency of TASK_ID on DEPENDS_ON."""
    with supervisor(as_json, repo) as sup:
        sup.remove_dependency(task_id, depends_on, dep_type, actor=actor())
    if as_json:
        emit_json({"removed": {"task_id": task_id, "depends_on": depends_on, "type": dep_type}})
    else:
        out.print(f"{task_id} no longer depends on {depends_on} ({dep_type})")


@deps.command("tree")
def dep_tree_cmd(
    task_id: str,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Show what waits on the task instead.")] = False,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """The tree of what a task waits on (or, reversed, what waits on it)."""
    with supervisor(as_json, repo) as sup:
        tree = sup.dependency_tree(task_id, reverse=reverse)
    if as_json:
        emit_json(asdict(tree))
    else:
        out.print(dep_tree(tree, reverse))


@epics.command("add")
def epic_add(
    title: str,
    body: Annotated[str, typer.Option("--body", "-b")] = "",
    priority: Annotated[int | None, typer.Option("--priority", "-p", min=0, max=4)] = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Add an epic; add its tasks with `overseer task add TITLE --parent EPIC`."""
    with supervisor(as_json, repo) as sup:
        epic = sup.create_task(NewTask(title=title, body=body, kind="epic", priority=priority, labels=tuple(label or ())), actor=actor())
    if as_json:
        emit_json(task_dict(epic))
    else:
        out.print(f"created epic [bold]{epic.id}[/]  {epic.title}")


@epics.command("status")
def epic_status(
    epic_id: Annotated[str | None, typer.Argument(help="An epic id; without it, every epic in one line each.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Progress of an epic: its children by status and which are ready."""
    with supervisor(as_json, repo) as sup:
        rows = [sup.epic_status(e.id) for e in sup.epics()] if epic_id is None else [sup.epic_status(epic_id)]
    if as_json:
        payload = [{**task_dict(s.epic), "children": [task_dict(c) for c in s.children], "counts": s.counts, "done": s.done,
                    "total": len(s.children), "ready": s.ready} for s in rows]
        emit_json(payload[0] if epic_id else payload)
    elif epic_id is None:
        out.print(task_table([s.epic for s in rows], title=f"{len(rows)} epics"))
    else:
        out.print(epic_panel(rows[0]))
