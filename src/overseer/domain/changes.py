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
     "budget", "profile", "notes", "hold", "extra", "attempts", "branch", "gates"}
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


_MAX_LEN = {"kind": 64, "profile": 128, "branch": 256}
_OPTIONAL_TEXT = frozenset({"hold", "profile", "branch"})
GATES = ("start", "land")


def _budget(value: Any) -> Budget:
    if isinstance(value, Budget):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError("budget", f"must be a mapping such as {{max_attempts: 3}}, got {value!r}")
    unknown = set(value) - {"max_attempts", "max_iterations", "max_cost_usd"}
    if unknown:
        raise ValidationError("budget", f"unknown keys {sorted(unknown)} (known: max_attempts, max_iterations, max_cost_usd)")
    for key, kinds in (("max_attempts", (int,)), ("max_iterations", (int, type(None))), ("max_cost_usd", (int, float, type(None)))):
        if key in value and (isinstance(value[key], bool) or not isinstance(value[key], kinds)):
            raise ValidationError("budget", f"{key} must be a number, got {value[key]!r}")
    if value.get("max_attempts", 1) < 1:
        raise ValidationError("budget", "max_attempts must be at least 1")
    return Budget.from_dict(value)


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
        return _budget(value)
    if field == "gates":
        gates = _strings(field, value)
        for g in gates:
            if g not in GATES:
                raise ValidationError(field, f"unknown gate {g!r} (gates: {', '.join(GATES)})")
        return tuple(dict.fromkeys(gates))
    if field in _OPTIONAL_TEXT and value is not None and not isinstance(value, str):
        raise ValidationError(field, f"must be a string or empty, got {value!r}")
    if field in ("title", "body", "kind", "notes") and not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {value!r}")
    if field in _MAX_LEN and value is not None and len(value) > _MAX_LEN[field]:
        raise ValidationError(field, f"must be at most {_MAX_LEN[field]} characters")
    if field == "kind" and not value.strip():
        raise ValidationError(field, "must not be empty")
    if field == "attempts" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValidationError(field, f"must be a non-negative integer, got {value!r}")
    if field == "extra" and not isinstance(value, Mapping):
        raise ValidationError(field, "must be a mapping")
    return value


def apply_changes(task: Task, changes: Mapping[str, Any], now: datetime) -> Task:
    """The task with ``changes`` applied, validated, its version bumped; ``task`` itself is untouched."""
    coerced = {name: coerce_field(name, value) for name, value in changes.items()}
    return task.evolve(**coerced, updated_at=now, version=task.version + 1)
