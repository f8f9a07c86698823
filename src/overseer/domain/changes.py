"""Turning a loose mapping of field changes into a valid new Task (used by every store and front end)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from overseer.domain.enums import Complexity, WorkType
from overseer.domain.errors import ValidationError
from overseer.domain.models import Budget, Task

UPDATABLE_FIELDS = frozenset(
    {"title", "body", "kind", "priority", "work_type", "complexity", "labels", "acceptance", "file_hints",
     "budget", "profile", "notes", "hold", "extra", "attempts"}
)


def _strings(field: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a list of strings, got {value!r}")
    items = tuple(value)
    if not all(isinstance(v, str) for v in items):
        raise ValidationError(field, "must be a list of strings")
    return items


def _enum(field: str, cls: type[WorkType] | type[Complexity], value: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise ValidationError(field, f"must be one of {choices}, got {value!r}") from None


def coerce_field(field: str, value: Any) -> Any:
    """Check and convert one field value; raises ``ValidationError`` naming the field."""
    if field not in UPDATABLE_FIELDS:
        raise ValidationError(field, f"cannot be changed here (changeable: {', '.join(sorted(UPDATABLE_FIELDS))})")
    if field in ("labels", "acceptance", "file_hints"):
        return _strings(field, value)
    if field == "work_type":
        return _enum(field, WorkType, value)
    if field == "complexity":
        return _enum(field, Complexity, value)
    if field == "budget":
        return value if isinstance(value, Budget) else Budget.from_dict(value)
    if field in ("title", "body", "kind", "notes") and not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {value!r}")
    if field == "kind" and not value.strip():
        raise ValidationError(field, "must not be empty")
    if field == "attempts" and (not isinstance(value, int) or value < 0):
        raise ValidationError(field, f"must be a non-negative integer, got {value!r}")
    if field == "extra" and not isinstance(value, Mapping):
        raise ValidationError(field, "must be a mapping")
    return value


def apply_changes(task: Task, changes: Mapping[str, Any], now: datetime) -> Task:
    """The task with ``changes`` applied, validated, its version bumped; ``task`` itself is untouched."""
    coerced = {name: coerce_field(name, value) for name, value in changes.items()}
    return task.evolve(**coerced, updated_at=now, version=task.version + 1)
