"""The dependency graph of one epic, laid out for SVG: nodes in columns by dependency depth (a task sits one column right
of the deepest task it waits on), ordered within a column by where their dependencies sit, edges for ``blocks``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from overseer.domain import Dependency, DepType, Task

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 176, 38, 48, 10, 8
MAX_NODES = 300
TITLE_CHARS = 26


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    label: str
    status: str
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str
    status: str  # the status of what is waited on: a done one is drawn faint


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    total: int  # how many tasks the epic has (more than ``len(nodes)`` when cut at MAX_NODES)
    node_w: int = NODE_W
    node_h: int = NODE_H

    @property
    def cut(self) -> bool:
        return self.total > len(self.nodes)


def layers(ids: Sequence[str], waits_on: dict[str, set[str]]) -> dict[str, int]:
    """Depth of each id: 0 for what waits on nothing in the set, else one more than its deepest dependency.
    Kahn's order, so a cycle (the store refuses them; imported data might hold one) cannot loop: its members go last."""
    pending = {i: len(waits_on.get(i, ())) for i in ids}
    dependents: dict[str, list[str]] = {}
    for task, deps in waits_on.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(task)
    depth = dict.fromkeys(ids, 0)
    queue = [i for i in ids if pending[i] == 0]
    seen: set[str] = set()
    while queue:
        current = queue.pop()
        seen.add(current)
        for nxt in dependents.get(current, ()):
            depth[nxt] = max(depth[nxt], depth[current] + 1)
            pending[nxt] -= 1
            if pending[nxt] == 0:
                queue.append(nxt)
    last = max(depth.values(), default=0) + 1
    return {i: (depth[i] if i in seen else last) for i in ids}


def _order(columns: dict[int, list[str]], waits_on: dict[str, set[str]]) -> None:
    """One left-to-right sweep: each column sorted by the mean row of its dependencies (fewer crossing edges)."""
    row: dict[str, int] = {}
    for col in sorted(columns):
        ids = columns[col]
        if col > 0:
            keys = {i: _centre(i, n, waits_on, row) for n, i in enumerate(ids)}
            ids.sort(key=keys.__getitem__)
        row.update((i, n) for n, i in enumerate(ids))


def _centre(task_id: str, position: int, waits_on: dict[str, set[str]], row: dict[str, int]) -> float:
    rows = [row[d] for d in waits_on.get(task_id, ()) if d in row]
    return sum(rows) / len(rows) if rows else float(position)


def _label(task: Task) -> str:
    title = task.title.strip()
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def layout(tasks: Sequence[Task], deps: Iterable[Dependency], *, total: int | None = None) -> Graph:
    """``tasks`` (already bounded by the caller) and the ``blocks`` edges among them, placed."""
    ids = [t.id for t in tasks]
    known = set(ids)
    waits_on: dict[str, set[str]] = {}
    for d in deps:
        if d.type == DepType.BLOCKS.value and d.task_id in known and d.depends_on in known and d.task_id != d.depends_on:
            waits_on.setdefault(d.task_id, set()).add(d.depends_on)
    depth = layers(ids, waits_on)
    columns: dict[int, list[str]] = {}
    for i in ids:
        columns.setdefault(depth[i], []).append(i)
    _order(columns, waits_on)
    by_id = {t.id: t for t in tasks}
    place: dict[str, tuple[int, int]] = {}
    for col, members in columns.items():
        for n, i in enumerate(members):
            place[i] = (PAD + col * (NODE_W + GAP_X), PAD + n * (NODE_H + GAP_Y))
    nodes = [Node(i, by_id[i].title, _label(by_id[i]), by_id[i].status.value, *place[i]) for i in ids]
    edges = []
    for task_id, targets in sorted(waits_on.items()):
        for dep in sorted(targets):
            (x1, y1), (x2, y2) = place[dep], place[task_id]
            sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H // 2, x2 - 4, y2 + NODE_H // 2
            mid = (sx + ex) // 2
            edges.append(Edge(dep, task_id, f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}", by_id[dep].status.value))
    width = PAD * 2 + max(len(columns), 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(m) for m in columns.values()), default=1) * (NODE_H + GAP_Y) - GAP_Y
    return Graph(nodes, edges, width, height, len(ids) if total is None else total)
