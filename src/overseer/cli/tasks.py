"""``overseer task add|show|list|update|close|reopen``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, out, supervisor
from overseer.cli.render import task_detail, task_table
from overseer.domain import Complexity, TaskStatus, WorkType
from overseer.domain.serialize import dep_dict, task_dict
from overseer.ports import TaskQuery
from overseer.service import NewTask

app = typer.Typer(help="Create, inspect and change tasks.", no_args_is_help=True)

Labels = Annotated[list[str] | None, typer.Option("--label", "-l", help="A label (repeat for more).")]
Priority = Annotated[int | None, typer.Option("--priority", "-p", min=0, max=4, help="0 (highest) to 4.")]
Kind = Annotated[str | None, typer.Option("--kind", "-k", help="task, bug, feature, chore, review, plan or epic.")]
Work = Annotated[WorkType | None, typer.Option("--type", "-t", help="Work type, for routing.")]
Cplx = Annotated[Complexity | None, typer.Option("--complexity", "-c")]


@app.command("add")
def add(
    title: Annotated[str, typer.Argument(help="One line saying what is to be done.")],
    body: Annotated[str, typer.Option("--body", "-b", help="Details, in markdown.")] = "",
    kind: Kind = None,
    priority: Priority = None,
    work_type: Work = None,
    complexity: Cplx = None,
    label: Labels = None,
    accept: Annotated[list[str] | None, typer.Option("--accept", "-a", help="An acceptance criterion (repeat).")] = None,
    file: Annotated[list[str] | None, typer.Option("--file", "-f", help="A file hint for the agent (repeat).")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Epic this task belongs to.")] = None,
    blocked_by: Annotated[list[str] | None, typer.Option("--blocked-by", "--after", help="Task that must be done first (repeat).")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Pin an agent profile.")] = None,
    max_attempts: Annotated[int | None, typer.Option("--max-attempts", min=1)] = None,
    max_cost: Annotated[float | None, typer.Option("--max-cost", min=0.0, help="Dollars over all runs; then a person decides.")] = None,
    hold: Annotated[str | None, typer.Option("--hold", help="Hold behind an approval gate with this reason.")] = None,
    gate: Annotated[list[str] | None, typer.Option("--gate", help="Approval gate: 'start' (held until approved) or 'land' "
                                                                  "(verified work waits before landing); repeat for both.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Add a task; prints its id."""
    with supervisor(as_json, repo) as sup:
        new = NewTask(title=title, body=body, kind=kind or "task", priority=priority, work_type=work_type, complexity=complexity,
                      labels=tuple(label or ()), acceptance=tuple(accept or ()), file_hints=tuple(file or ()), parent=parent,
                      blocked_by=tuple(blocked_by or ()), profile=profile, max_attempts=max_attempts,
                      max_cost_usd=max_cost, hold=hold, gates=tuple(gate or ()))
        task = sup.create_task(new, actor=actor())
    if as_json:
        emit_json(task_dict(task))
    else:
        out.print(f"created [bold]{task.id}[/]  {task.title}")


@app.command("show")
def show(task_id: str, as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Everything about one task, with its dependencies both ways."""
    with supervisor(as_json, repo) as sup:
        view = sup.show(task_id)
    if as_json:
        emit_json({**task_dict(view.task), "blocked": view.blocked, "extra": dict(view.task.extra),
                   "depends_on": [dep_dict(d) for d in view.depends_on], "dependents": [dep_dict(d) for d in view.dependents],
                   "children": [c.id for c in view.children]})
    else:
        out.print(task_detail(view))


@app.command("list")
def list_(
    status: Annotated[list[TaskStatus] | None, typer.Option("--status", "-s", help="Only this status (repeat).")] = None,
    kind: Kind = None,
    label: Annotated[str | None, typer.Option("--label", "-l")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Only children of this epic.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include deleted tasks.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1)] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """List tasks, most urgent first."""
    query = TaskQuery(statuses=tuple(status) if status else None, kind=kind, label=label, parent=parent, include_deleted=all_, limit=limit)
    with supervisor(as_json, repo) as sup:
        tasks = sup.list_tasks(query)
    if as_json:
        emit_json([task_dict(t) for t in tasks])
    else:
        out.print(task_table(tasks, title=f"{len(tasks)} tasks"))


@app.command("update")
def update(
    task_id: str,
    title: Annotated[str | None, typer.Option("--title")] = None,
    body: Annotated[str | None, typer.Option("--body", "-b")] = None,
    kind: Kind = None,
    priority: Priority = None,
    work_type: Work = None,
    complexity: Cplx = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", help="Replace the labels (repeat).")] = None,
    add_label: Annotated[list[str] | None, typer.Option("--add-label")] = None,
    remove_label: Annotated[list[str] | None, typer.Option("--remove-label")] = None,
    accept: Annotated[list[str] | None, typer.Option("--accept", "-a", help="Replace acceptance criteria (repeat).")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    profile: Annotated[str | None, typer.Option("--profile")] = None,
    hold: Annotated[str | None, typer.Option("--hold", help="Hold behind an approval gate with this reason.")] = None,
    unhold: Annotated[bool, typer.Option("--unhold", help="Lift the approval hold.")] = False,
    status: Annotated[TaskStatus | None, typer.Option("--status", help="Move to this status (checked against the state machine).")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Change fields of a task; only the options given change."""
    given = {"title": title, "body": body, "kind": kind, "priority": priority, "work_type": work_type, "complexity": complexity,
             "labels": label, "acceptance": accept, "notes": notes, "profile": profile, "hold": hold}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if unhold:
        changes["hold"] = None
    with supervisor(as_json, repo) as sup:
        if add_label or remove_label:
            current = list(changes.get("labels") or sup.get(task_id).labels)
            current += [x for x in add_label or () if x not in current]
            changes["labels"] = [x for x in current if x not in (remove_label or ())]
        task = sup.update(task_id, changes, actor=actor()) if changes or status is None else sup.get(task_id)
        if status is not None:
            task = sup.set_status(task_id, status, actor=actor())
    if as_json:
        emit_json(task_dict(task))
    else:
        out.print(f"updated [bold]{task.id}[/]  ({task.status.value})")


@app.command("close")
def close(
    task_ids: Annotated[list[str], typer.Argument(help="One or more task ids.")],
    reason: Annotated[str | None, typer.Option("--reason", "-r")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Mark tasks done; an epic whose children are all done closes with them."""
    with supervisor(as_json, repo) as sup:
        closed = [sup.close_task(t, actor=actor(), reason=reason) for t in task_ids]
    if as_json:
        emit_json([task_dict(t) for t in closed])
    else:
        for t in closed:
            out.print(f"closed [bold]{t.id}[/]  {t.title}")


@app.command("reopen")
def reopen(task_ids: list[str], as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Open tasks again (from done, cancelled, failed, escalated…)."""
    with supervisor(as_json, repo) as sup:
        opened = [sup.reopen(t, actor=actor()) for t in task_ids]
    if as_json:
        emit_json([task_dict(t) for t in opened])
    else:
        for t in opened:
            out.print(f"reopened [bold]{t.id}[/]  {t.title}")
