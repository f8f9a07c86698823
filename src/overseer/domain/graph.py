"""Pure rules over the graph: which tasks are blocked, which are ready, where a cycle is."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from overseer.domain.enums import DepType, TaskStatus, is_work_kind
from overseer.domain.models import Dependency, Task
from overseer.domain.transitions import can_transition

# A blocker in one of these states no longer blocks: done is done, deleted is as good as absent.
RESOLVED_STATUSES = frozenset({TaskStatus.DONE, TaskStatus.DELETED})


def blocked_ids(tasks: Mapping[str, Task], deps: Iterable[Dependency]) -> set[str]:
    """Ids blocked by an unresolved ``blocks`` target, or under a blocked parent-child ancestor.

    A ``blocks`` dependency on an id that does not exist (dangling) blocks nothing.
    """
    children: dict[str, list[str]] = defaultdict(list)
    blocked: set[str] = set()
    for dep in deps:
        if dep.type == DepType.BLOCKS.value:
            target = tasks.get(dep.depends_on)
            if target is not None and target.status not in RESOLVED_STATUSES:
                blocked.add(dep.task_id)
        elif dep.type == DepType.PARENT_CHILD.value:
            children[dep.depends_on].append(dep.task_id)
    stack = list(blocked)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in blocked:
                blocked.add(child)
                stack.append(child)
    return blocked


def is_claimable(task: Task, now: datetime) -> bool:
    """Open and unclaimed, or claimed with a lease that has run out."""
    if task.status == TaskStatus.OPEN:
        return True
    return task.status == TaskStatus.CLAIMED and task.lease_expires_at is not None and task.lease_expires_at < now


def ready_order(task: Task) -> tuple[int, datetime, str]:
    return (task.priority, task.created_at, task.id)


def ready_tasks(tasks: Mapping[str, Task], deps: Iterable[Dependency], now: datetime) -> list[Task]:
    """Work that can start now, most urgent first (priority, then age)."""
    blocked = blocked_ids(tasks, deps)
    ready = [
        t
        for t in tasks.values()
        if is_claimable(t, now) and is_work_kind(t.kind) and t.hold is None and t.id not in blocked
    ]
    return sorted(ready, key=ready_order)


def find_cycle(edges: Iterable[tuple[str, str]], new_edge: tuple[str, str] | None = None) -> list[str] | None:
    """A loop among ``(task, depends_on)`` edges, as a path that starts and ends on the same id.

    With ``new_edge`` it answers: would adding this edge close a loop? Without, it searches the whole graph.
    """
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        graph[a].append(b)
    if new_edge is not None:
        src, dst = new_edge
        if src == dst:
            return [src, src]
        path = _path(graph, dst, src)
        return [src, *path] if path else None
    return _any_cycle(graph)


def _path(graph: Mapping[str, Sequence[str]], start: str, goal: str) -> list[str] | None:
    parent: dict[str, str | None] = {start: None}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            path = [node]
            while (prev := parent[path[-1]]) is not None:
                path.append(prev)
            return path[::-1]
        for nxt in graph.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                stack.append(nxt)
    return None


def _any_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    white, grey, black = 0, 1, 2
    color: dict[str, int] = defaultdict(int)
    for root in list(graph):
        if color[root] != white:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        trail: list[str] = []
        while stack:
            node, idx = stack.pop()
            if idx == 0:
                color[node] = grey
                trail.append(node)
            succ = graph.get(node, ())
            if idx < len(succ):
                stack.append((node, idx + 1))
                nxt = succ[idx]
                if color[nxt] == grey:
                    return [*trail[trail.index(nxt):], nxt]
                if color[nxt] == white:
                    stack.append((nxt, 0))
            else:
                color[node] = black
                trail.pop()
    return None


def gating_edges(deps: Iterable[Dependency]) -> list[tuple[str, str]]:
    return [(d.task_id, d.depends_on) for d in deps if d.gates]


def children_of(parent_id: str, deps: Iterable[Dependency]) -> list[str]:
    return [d.task_id for d in deps if d.type == DepType.PARENT_CHILD.value and d.depends_on == parent_id]


def epic_complete(children: Sequence[Task]) -> bool:
    """An epic closes when it has children and every one is done (deleted ones do not count)."""
    live = [c for c in children if c.status != TaskStatus.DELETED]
    return bool(live) and all(c.status == TaskStatus.DONE for c in live)


ROLLUP_REASON = {TaskStatus.DONE: "all children done",
                 TaskStatus.VERIFYING: "all children landed on the integration branch: epic review and merge next"}


def epic_rollup(epic: Task) -> TaskStatus | None:
    """Where an epic goes once every child is done: ``done``; or ``verifying`` when it has an integration branch, whose
    work is reviewed and merged into the base branch before the epic is done. None when the epic is past that."""
    target = TaskStatus.VERIFYING if epic.branch else TaskStatus.DONE
    return target if epic.status != target and can_transition(epic.status, target, epic=True) else None
