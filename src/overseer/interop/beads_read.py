"""Reading Beads JSONL: one issue per line, its dependencies inline, into Overseer tasks and dependencies.

Whatever Overseer does not model is kept in ``Task.extra["beads"]`` (and ``Dependency.extra["beads"]``) so that
``beads_write`` can give the records back as they came::

    {"fields": {unmodelled key: value}, "times": {key: original text}, "status": original when not the
     natural one, "order": original key order when not Beads' own, "empty": {key: value} for modelled keys
     present but empty, "absent": [defaulted keys], "dep_order": [[depends_on, type], ...] when not sorted}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from overseer.domain import Dependency, ImportFormatError, Task, TaskStatus, ValidationError
from overseer.domain.changes import coerce_field
from overseer.interop.beads_format import (
    DEFAULT_CLAIMANT,
    DEP_KEYS,
    IN_PROGRESS,
    ISSUE_KEYS,
    first_duplicate,
    is_canonical,
    parse_time,
    status_from_beads,
    status_to_beads,
)

#: Issue keys that become Task fields (``assignee`` also stays in ``fields``: it only names the claimant).
MODELLED = frozenset({"id", "title", "description", "notes", "status", "priority", "issue_type", "labels",
                      "created_at", "updated_at", "closed_at", "close_reason", "dependencies", "overseer"})
DEP_MODELLED = frozenset({"issue_id", "depends_on_id", "type", "created_at", "created_by", "overseer"})
EMPTY_KEYS = ("description", "notes", "close_reason", "labels", "closed_at", "dependencies")
DEFAULTED = ("status", "priority", "issue_type", "updated_at")
NOT_BLANK = ("status", "issue_type")
OVERSEER_FIELDS = ("work_type", "complexity", "acceptance", "file_hints", "budget", "hold", "profile", "attempts",
                   "status", "extra")
_HINT = "fix the line, or import with --skip-bad (skip_bad=True) to leave such lines out"
_RAW_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class BeadsBatch:
    """A parsed Beads file, ready for ``store.import_graph(batch.tasks, batch.deps, actor=...)``.

    ``skipped`` lists ``(line number, what was wrong)`` for lines left out under ``skip_bad``.
    """

    tasks: tuple[Task, ...] = ()
    deps: tuple[Dependency, ...] = ()
    skipped: tuple[tuple[int, str], ...] = ()


class Malformed(ValueError):
    """One record is not a Beads issue Overseer can take; the message says which field and why."""


def parse_beads(lines: Iterable[str], source: str = "<input>", *, skip_bad: bool = False) -> BeadsBatch:
    """Tasks and dependencies from Beads JSONL lines. Blank lines are ignored.

    A malformed line raises ``ImportFormatError`` naming ``source:line`` (nothing is returned, so nothing
    can be half imported); with ``skip_bad`` it is left out and listed in ``BeadsBatch.skipped`` instead.
    """
    tasks: list[Task] = []
    deps: list[Dependency] = []
    skipped: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            task, task_deps = parse_record(line)
            if task.id in first_line:
                raise Malformed(f"duplicate id {task.id!r}: line {first_line[task.id]} has it already")
        except Malformed as bad:
            if not skip_bad:
                raise ImportFormatError(source, line_no, f"{bad}; {_HINT}") from None
            skipped.append((line_no, str(bad)))
            continue
        first_line[task.id] = line_no
        tasks.append(task)
        deps.extend(task_deps)
    return BeadsBatch(tuple(tasks), tuple(deps), tuple(skipped))


def parse_record(line: str) -> tuple[Task, list[Dependency]]:
    """One issue line as a Task and its dependencies; raises ``Malformed``."""
    rec = _load(line)
    task_id = _text(rec, "id", required=True)
    status_text = _text(rec, "status", default="open")
    created = _time(rec, "created_at")
    if created is None:
        raise Malformed("created_at: missing (Beads writes it on every issue)")
    deps, dep_order = _deps(rec, task_id, created)
    beads = _beads_extra(rec, status_text, dep_order)
    fields: dict[str, Any] = {
        "id": task_id,
        "title": _text(rec, "title", required=True),
        "body": _text(rec, "description", default=""),
        "notes": _text(rec, "notes", default=""),
        "close_reason": _text(rec, "close_reason", default="") or None,
        "kind": _text(rec, "issue_type", default="task"),
        "status": status_from_beads(status_text),
        "priority": _priority(rec),
        "labels": _labels(rec),
        "created_at": created,
        "updated_at": _time(rec, "updated_at") or created,
        "closed_at": _time(rec, "closed_at"),
    }
    fields.update(_overseer(rec.get("overseer"), status_text))
    fields["extra"] = {**fields.get("extra", {}), "beads": beads}
    if fields["status"] in IN_PROGRESS:
        assignee = rec.get("assignee")
        fields["claimed_by"] = assignee if isinstance(assignee, str) and assignee else DEFAULT_CLAIMANT
    try:
        return Task(**fields), deps
    except ValidationError as exc:
        raise Malformed(str(exc)) from None


def _load(line: str) -> dict[str, Any]:
    if not line.isascii() and _RAW_SURROGATE.search(line):
        raise Malformed("the line is not valid UTF-8 text")
    try:
        rec = _DECODER.decode(line)
    except ValueError as exc:
        raise Malformed(f"not valid JSON ({exc})") from None
    if not isinstance(rec, dict):
        raise Malformed(f"expected a JSON object (one issue), got {type(rec).__name__}")
    return rec


def _text(rec: Mapping[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
    value = rec.get(key)
    if value is None:
        if required:
            raise Malformed(f"{key}: missing (every Beads issue has one)")
        return default
    if not isinstance(value, str):
        raise Malformed(f"{key}: must be a string, got {_show(value)}")
    if (required or key in NOT_BLANK) and not value.strip():
        raise Malformed(f"{key}: must not be blank")
    return value


def _time(rec: Mapping[str, Any], key: str) -> datetime | None:
    value = rec.get(key)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise Malformed(f"{key}: {exc}") from None


def _priority(rec: Mapping[str, Any]) -> int:
    value = rec.get("priority", 2)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 4:
        raise Malformed(f"priority: must be an integer from 0 (highest) to 4, got {_show(value)}")
    return value


def _labels(rec: Mapping[str, Any]) -> tuple[str, ...]:
    value = rec.get("labels")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Malformed(f"labels: must be a list of strings, got {_show(value)}")
    return tuple(value)


def _beads_extra(rec: Mapping[str, Any], status_text: str, dep_order: list[list[str]] | None) -> dict[str, Any]:
    beads: dict[str, Any] = {
        "fields": {k: v for k, v in rec.items() if k not in MODELLED},
        "times": {k: rec[k] for k in ("created_at", "updated_at", "closed_at") if rec.get(k) is not None},
    }
    if status_to_beads(status_from_beads(status_text)) != status_text:
        beads["status"] = status_text
    if not is_canonical(rec, ISSUE_KEYS):
        beads["order"] = list(rec)
    empty = {k: rec[k] for k in EMPTY_KEYS if k in rec and rec[k] in ("", [], None)}
    if empty:
        beads["empty"] = empty
    absent = [k for k in DEFAULTED if k not in rec]
    if absent:
        beads["absent"] = absent
    if dep_order:
        beads["dep_order"] = dep_order
    return beads


def _overseer(section: Any, status_text: str) -> dict[str, Any]:
    """Task fields Beads lacks, from the ``overseer`` key an Overseer export wrote."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise Malformed(f"overseer: must be an object, got {_show(section)}")
    unknown = sorted(set(section) - set(OVERSEER_FIELDS))
    if unknown:
        raise Malformed(f"overseer: unknown fields {', '.join(unknown)} (known: {', '.join(OVERSEER_FIELDS)})")
    out: dict[str, Any] = {}
    for name, value in section.items():
        try:
            if name == "status":
                status = TaskStatus(value)
                if status_to_beads(status) == status_text:  # else Beads changed the status since: Beads wins
                    out["status"] = status
            elif name in ("hold", "profile"):
                if value is not None and not isinstance(value, str):
                    raise ValueError(f"must be a string or null, got {_show(value)}")
                out[name] = value
            elif name == "extra":
                out[name] = {k: v for k, v in coerce_field(name, value).items() if k != "beads"}
            else:
                out[name] = coerce_field(name, value)
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            raise Malformed(f"overseer.{name}: {exc}") from None
    return out


def _deps(rec: Mapping[str, Any], task_id: str, created: datetime) -> tuple[list[Dependency], list[list[str]] | None]:
    raw = rec.get("dependencies") or []
    if not isinstance(raw, list):
        raise Malformed(f"dependencies: must be a list, got {_show(raw)}")
    deps = [_dep(item, task_id, created, n) for n, item in enumerate(raw, 1)]
    twice = first_duplicate(d.key for d in deps)
    if twice is not None:
        raise Malformed(f"dependencies: {twice[0]} depends on {twice[1]} ({twice[2]}) twice")
    order = [[d.depends_on, d.type] for d in deps]
    return deps, (order if order != sorted(order) else None)


def _dep(item: Any, task_id: str, created: datetime, n: int) -> Dependency:
    where = f"dependencies[{n}]"
    if not isinstance(item, dict):
        raise Malformed(f"{where}: must be an object, got {_show(item)}")
    if item.get("issue_id", task_id) != task_id:
        raise Malformed(f"{where}: issue_id {item['issue_id']!r} is not this record's id {task_id!r}")
    target = item.get("depends_on_id")
    if not isinstance(target, str) or not target.strip() or target == task_id:
        raise Malformed(f"{where}: depends_on_id must name another issue, got {target!r}")
    dep_type = item.get("type", "blocks")
    by = item.get("created_by")
    if not isinstance(dep_type, str) or not dep_type.strip() or not isinstance(by, str | None):
        raise Malformed(f"{where}: type and created_by must be strings, got {_show(dep_type)} and {_show(by)}")
    try:
        at = parse_time(item["created_at"]) if "created_at" in item else created
    except ValueError as exc:
        raise Malformed(f"{where}.created_at: {exc}") from None
    beads: dict[str, Any] = {"fields": {k: v for k, v in item.items() if k not in DEP_MODELLED}, "times": {}}
    if "created_at" in item:
        beads["times"]["created_at"] = item["created_at"]
    if not is_canonical(item, DEP_KEYS):
        beads["order"] = list(item)
    absent = [k for k in ("issue_id", "type", "created_at") if k not in item]
    if absent:
        beads["absent"] = absent
    if "created_by" in item and by is None:
        beads["empty"] = {"created_by": None}
    extra = _overseer_dep(item.get("overseer"), where)
    return Dependency(task_id, target, dep_type, at, by, {**extra, "beads": beads})


def _overseer_dep(section: Any, where: str) -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, dict) or set(section) - {"extra"} or not isinstance(section.get("extra", {}), dict):
        raise Malformed(f"{where}.overseer: must be an object with only an 'extra' object, got {_show(section)}")
    return {k: v for k, v in section.get("extra", {}).items() if k != "beads"}
