"""Writing Beads JSONL: tasks as Beads issue records; imported ones come back as they were read.

Overseer fields Beads lacks travel in an ``overseer`` key of the record (Beads ignores unknown keys).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any

from overseer.domain import Budget, Dependency, Task, TaskStatus
from overseer.interop.beads_format import (
    DEFAULT_CLAIMANT,
    DEP_KEYS,
    ISSUE_KEYS,
    canonical_comments,
    emit_time,
    encode_line,
    ordered,
    status_from_beads,
    status_to_beads,
)

_DEFAULT = Task(id="-", title="-")
OVERSEER_ONLY = ("work_type", "complexity", "acceptance", "file_hints", "budget", "hold", "profile", "attempts")


def dump_beads(tasks: Iterable[Task], deps: Iterable[Dependency]) -> Iterator[str]:
    """One Beads JSON line (no newline) per task, in the order given, each with its dependencies inline.

    Dependencies whose ``task_id`` is not among ``tasks`` are not written: their issue is not in this export.
    """
    by_task: dict[str, list[Dependency]] = defaultdict(list)
    for dep in deps:
        by_task[dep.task_id].append(dep)
    for task in tasks:
        yield encode_line(issue_record(task, by_task.get(task.id, ())))


def issue_record(task: Task, deps: Sequence[Dependency]) -> dict[str, Any]:
    """The Beads record of ``task``: imported fields as they came, modelled ones from the task as it is now."""
    beads = _beads(task.extra)
    times = beads.get("times", {})
    rec: dict[str, Any] = dict(beads.get("fields", {}))
    if "comments" in rec:
        rec["comments"] = canonical_comments(rec["comments"])
    rec.update(
        id=task.id,
        title=task.title,
        status=_status(task, beads.get("status")),
        priority=task.priority,
        issue_type=task.kind,
        created_at=emit_time(times.get("created_at"), task.created_at),
        updated_at=emit_time(times.get("updated_at"), task.updated_at),
    )
    optional = {
        "description": task.body or None,
        "notes": task.notes or None,
        "close_reason": task.close_reason or None,
        "labels": list(task.labels) or None,
        "closed_at": None if task.closed_at is None else emit_time(times.get("closed_at"), task.closed_at),
        "dependencies": [dep_record(d, task) for d in _sorted_deps(deps, beads.get("dep_order"))] or None,
    }
    empty = beads.get("empty", {})
    for key, value in optional.items():
        if value is not None:
            rec[key] = value
        elif key in empty:
            rec[key] = empty[key]
    assignee = _assignee(task, rec.get("assignee"))
    if assignee is not None:
        rec["assignee"] = assignee
    defaulted = {"status": task.status == TaskStatus.OPEN, "priority": task.priority == _DEFAULT.priority,
                 "issue_type": task.kind == _DEFAULT.kind, "updated_at": task.updated_at == task.created_at}
    for key in beads.get("absent", ()):
        if defaulted.get(key):
            rec.pop(key, None)
    section = overseer_section(task)
    if section:
        rec["overseer"] = section
    return ordered(rec, beads.get("order", ()), ISSUE_KEYS)


def dep_record(dep: Dependency, task: Task) -> dict[str, Any]:
    beads = _beads(dep.extra)
    rec: dict[str, Any] = dict(beads.get("fields", {}))
    rec.update(issue_id=dep.task_id, depends_on_id=dep.depends_on, type=dep.type,
               created_at=emit_time(beads.get("times", {}).get("created_at"), dep.created_at))
    if dep.created_by is not None or "created_by" in beads.get("empty", {}):
        rec["created_by"] = dep.created_by
    defaulted = {"issue_id": True, "type": dep.type == "blocks", "created_at": dep.created_at == task.created_at}
    for key in beads.get("absent", ()):
        if defaulted.get(key):
            rec.pop(key, None)
    others = {k: v for k, v in dep.extra.items() if k != "beads"}
    if others:
        rec["overseer"] = {"extra": others}
    return ordered(rec, beads.get("order", ()), DEP_KEYS)


def overseer_section(task: Task) -> dict[str, Any]:
    """Fields Beads cannot hold, where they differ from a new task's: they come back on import."""
    section = {name: _plain(getattr(task, name)) for name in OVERSEER_ONLY if getattr(task, name) != getattr(_DEFAULT, name)}
    if status_from_beads(status_to_beads(task.status)) != task.status:
        section["status"] = task.status.value
    others = {k: v for k, v in task.extra.items() if k != "beads"}
    if others:
        section["extra"] = others
    return section


def _beads(extra: Mapping[str, Any]) -> Mapping[str, Any]:
    value = extra.get("beads")
    return value if isinstance(value, Mapping) else {}


def _status(task: Task, original: str | None) -> str:
    """The imported status while the task still has the status it was imported as, else the natural one."""
    if original is not None and status_from_beads(original) == task.status:
        return original
    return status_to_beads(task.status)


def _assignee(task: Task, kept: Any) -> Any:
    """Who holds the issue: Overseer's claimant when it is not the one the import derived, else the imported one."""
    if task.claimed_by is not None and task.claimed_by != (kept or DEFAULT_CLAIMANT):
        return task.claimed_by
    return kept


def _sorted_deps(deps: Sequence[Dependency], dep_order: Sequence[Sequence[str]] | None) -> list[Dependency]:
    """The imported order (stores hand dependencies back sorted), new ones after; otherwise sorted by target."""
    rank = {(str(a), str(b)): i for i, (a, b) in enumerate(dep_order or ())}
    return sorted(deps, key=lambda d: (rank.get((d.depends_on, d.type), len(rank)), d.depends_on, d.type))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Budget):
        return value.to_dict()
    return list(value) if isinstance(value, tuple) else value
