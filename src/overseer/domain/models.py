"""Frozen values of the task graph: Task, Dependency, Budget, Event."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from overseer.domain.enums import Complexity, TaskKind, TaskStatus, WorkType, affects_ready_work
from overseer.domain.errors import ValidationError

ID_PREFIX = "ov-"
MIN_PRIORITY, MAX_PRIORITY = 0, 4


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_task_id(title: str, taken: frozenset[str] | set[str] = frozenset(), *, length: int = 4) -> str:
    """``ov-`` plus a short base-36 hash, lengthened until it is not ``taken``."""
    seed = f"{title}\0{utcnow().isoformat()}\0".encode() + os.urandom(8)
    digest = int.from_bytes(hashlib.sha256(seed).digest(), "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = []
    while digest:
        digest, rem = divmod(digest, 36)
        chars.append(alphabet[rem])
    text = "".join(chars)
    for n in range(length, len(text)):
        candidate = ID_PREFIX + text[:n]
        if candidate not in taken:
            return candidate
    raise RuntimeError("could not make a free task id")  # pragma: no cover - 2^-256


@dataclass(frozen=True)
class Budget:
    """Limits that end retries: attempts, agent iterations per run, dollars over all runs."""

    max_attempts: int = 3
    max_iterations: int | None = None
    max_cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"max_attempts": self.max_attempts, "max_iterations": self.max_iterations, "max_cost_usd": self.max_cost_usd}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Budget:
        data = data or {}
        return cls(
            max_attempts=int(data.get("max_attempts", 3)),
            max_iterations=data.get("max_iterations"),
            max_cost_usd=data.get("max_cost_usd"),
        )


@dataclass(frozen=True)
class Task:
    """One node of the graph. ``kind`` and ``extra`` keep whatever an importer brought in."""

    id: str
    title: str
    body: str = ""
    kind: str = TaskKind.TASK.value
    status: TaskStatus = TaskStatus.OPEN
    priority: int = 2
    work_type: WorkType = WorkType.IMPLEMENTATION
    complexity: Complexity = Complexity.MEDIUM
    labels: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()
    file_hints: tuple[str, ...] = ()
    budget: Budget = field(default_factory=Budget)
    attempts: int = 0
    profile: str | None = None
    notes: str = ""
    hold: str | None = None
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    closed_at: datetime | None = None
    close_reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    version: int = 1
    branch: str | None = None          # an epic's integration branch, once Overseer made it
    gates: tuple[str, ...] = ()        # approval gates: "start" (held until approved), "land" (waits before landing)

    def __post_init__(self) -> None:
        validate_title(self.title)
        validate_priority(self.priority)

    @property
    def is_epic(self) -> bool:
        return self.kind == TaskKind.EPIC.value

    def evolve(self, **changes: Any) -> Task:
        return replace(self, **changes)


def validate_priority(priority: int) -> None:
    if not isinstance(priority, int) or isinstance(priority, bool) or not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValidationError("priority", f"must be an integer from {MIN_PRIORITY} (highest) to {MAX_PRIORITY}, got {priority!r}")


def validate_title(title: str) -> None:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("title", "must be a non-empty string")


@dataclass(frozen=True)
class Dependency:
    """``task_id`` depends on ``depends_on``. For ``parent-child``, ``depends_on`` is the parent."""

    task_id: str
    depends_on: str
    type: str = "blocks"
    created_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gates(self) -> bool:
        return affects_ready_work(self.type)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task_id, self.depends_on, self.type)


@dataclass(frozen=True)
class Event:
    """One line of the append-only log, written in the same transaction as the change it records."""

    seq: int
    at: datetime
    kind: str
    task_id: str | None
    run_id: str | None
    actor: str
    data: Mapping[str, Any]
