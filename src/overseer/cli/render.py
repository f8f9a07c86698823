"""Rich renderings of tasks, trees, epics and events for people (``--json`` bypasses all of this)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from overseer.domain import Event, Task
from overseer.service import EpicStatus, TaskView, TreeNode

STATUS_STYLE = {
    "open": "cyan", "claimed": "yellow", "running": "yellow", "verifying": "magenta", "needs_changes": "red",
    "awaiting_approval": "magenta", "on_hold": "dim", "done": "green", "failed": "bold red", "escalated": "bold magenta",
    "cancelled": "dim", "deleted": "dim strike", "missing": "red",
}


def status(value: str) -> Text:
    return Text(value, style=STATUS_STYLE.get(value, ""))


def task_table(tasks: Sequence[Task], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in ("id", "P", "status", "kind", "title", "labels"):
        table.add_column(col, no_wrap=col != "title")
    for t in tasks:
        table.add_row(t.id, str(t.priority), status(t.status.value), t.kind, t.title, ",".join(t.labels))
    return table


def task_detail(view: TaskView) -> Table:
    t = view.task
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, str | Text]] = [
        ("id", t.id), ("title", t.title), ("status", status(t.status.value) + Text("  (blocked)" if view.blocked else "")),
        ("priority", str(t.priority)), ("kind", t.kind), ("work type", t.work_type.value), ("complexity", t.complexity.value),
    ]
    optional = {
        "labels": ", ".join(t.labels), "profile": t.profile or "", "hold": t.hold or "", "claimed by": t.claimed_by or "",
        "lease until": t.lease_expires_at.isoformat() if t.lease_expires_at else "", "close reason": t.close_reason or "",
        "acceptance": "\n".join(f"- {a}" for a in t.acceptance), "file hints": ", ".join(t.file_hints),
        "depends on": "\n".join(f"{d.depends_on} ({d.type})" for d in view.depends_on),
        "dependents": "\n".join(f"{d.task_id} ({d.type})" for d in view.dependents),
        "notes": t.notes, "body": t.body,
    }
    rows += [(k, v) for k, v in optional.items() if v]
    rows.append(("attempts", f"{t.attempts} of {t.budget.max_attempts}"))
    rows.append(("created", t.created_at.isoformat(timespec="seconds")))
    for key, value in rows:
        table.add_row(key, value)
    return table


def dep_tree(node: TreeNode, reverse: bool) -> Tree:
    root = Tree(_node_label(node))
    _grow(root, node)
    root.label = Text(f"{'what waits on' if reverse else 'what blocks'} ") + _node_label(node)
    return root


def _grow(branch: Tree, node: TreeNode) -> None:
    for child in node.children:
        _grow(branch.add(_node_label(child)), child)


def _node_label(node: TreeNode) -> Text:
    label = Text()
    if node.dep_type:
        label.append(f"[{node.dep_type}] ", style="dim")
    label.append(f"{node.task_id} ", style="bold")
    label.append_text(status(node.status))
    label.append(f"  {node.title}")
    if node.repeated:
        label.append("  (shown above)", style="dim")
    return label


def epic_panel(es: EpicStatus) -> Table:
    total = len(es.children)
    table = task_table(es.children, title=f"{es.epic.id} {es.epic.title}: {es.done}/{total} done ({es.epic.status.value})")
    table.caption = "ready now: " + (", ".join(es.ready) or "none")
    return table


def event_line(e: Event) -> Text:
    text = Text(f"{e.seq:>6} ", style="dim")
    text.append(e.at.strftime("%Y-%m-%d %H:%M:%S "))
    text.append(f"{e.kind:<14} ", style="bold")
    text.append(f"{e.task_id or '-':<12} ")
    text.append(f"{e.actor}  ", style="dim")
    text.append(", ".join(f"{k}={v}" for k, v in e.data.items()))
    return text
