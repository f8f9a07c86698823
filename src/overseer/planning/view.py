"""A stored plan read back from the task graph: the epic, its phases in order with their gate state and estimates, and
each phase's tasks with their estimate and what they wait for — what ``overseer plan show`` and a dashboard page render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overseer.domain import DepType, Task, TaskKind, TaskStatus, ValidationError
from overseer.planning.epics import PLAN_LABEL
from overseer.ports import TaskQuery
from overseer.service import Supervisor

__all__ = ["PhaseView", "PlanTaskView", "PlanView", "list_plans", "load_phase", "load_plan", "plan_summary"]


def _meta(task: Task, key: str) -> Mapping[str, Any]:
    value = task.extra.get(key)
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class PlanTaskView:
    task: Task
    blocked_by: tuple[str, ...]

    @property
    def estimate(self) -> Mapping[str, Any]:
        est = _meta(self.task, "plan_task").get("estimate")
        return est if isinstance(est, Mapping) else {}

    def dict(self) -> dict[str, object]:
        t = self.task
        return {"id": t.id, "title": t.title, "status": t.status.value, "held": t.hold is not None, "complexity": t.complexity.value,
                "work_type": t.work_type.value, "key": _meta(t, "plan_task").get("key"), "acceptance": list(t.acceptance),
                "file_hints": list(t.file_hints), "blocked_by": list(self.blocked_by), "estimate": dict(self.estimate)}


@dataclass(frozen=True)
class PhaseView:
    epic: Task
    tasks: tuple[PlanTaskView, ...]
    more: int = 0  # tasks of the phase left out (``load_plan(max_tasks=...)``)

    @property
    def number(self) -> int:
        return int(_meta(self.epic, "plan_phase").get("number") or 0)

    @property
    def gate(self) -> str:
        """``waiting`` (held for approval), ``released``, or ``rejected`` (cancelled at the gate)."""
        if self.epic.hold is not None and self.epic.status == TaskStatus.OPEN:
            return "waiting"
        return "rejected" if self.epic.status == TaskStatus.CANCELLED else "released"

    @property
    def estimate(self) -> Mapping[str, Any]:
        est = _meta(self.epic, "plan_phase").get("estimate")
        return est if isinstance(est, Mapping) else {}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tasks:
            out[t.task.status.value] = out.get(t.task.status.value, 0) + 1
        return out

    def dict(self) -> dict[str, object]:
        e = self.epic
        return {"id": e.id, "number": self.number, "title": e.title, "status": e.status.value, "gate": self.gate,
                "goal": _meta(e, "plan_phase").get("goal"), "estimate": dict(self.estimate), "counts": self.counts(),
                "tasks": [t.dict() for t in self.tasks], **({"more_tasks": self.more} if self.more else {})}


@dataclass(frozen=True)
class PlanView:
    epic: Task
    phases: tuple[PhaseView, ...]

    @property
    def meta(self) -> Mapping[str, Any]:
        return _meta(self.epic, "plan")

    def dict(self) -> dict[str, object]:
        m = self.meta
        return {"id": self.epic.id, "title": self.epic.title, "status": self.epic.status.value, "branch": self.epic.branch,
                "request": m.get("request"), "summary": m.get("summary"), "mode": m.get("mode"), "model": m.get("model"),
                "estimate": m.get("estimate"), "review": m.get("review"), "created_at": self.epic.created_at.isoformat(),
                "phases": [p.dict() for p in self.phases]}


def load_plan(sup: Supervisor, plan_id: str, *, max_tasks: int | None = None, blockers: bool = True) -> PlanView:
    """The plan whose epic is ``plan_id`` (a phase's id finds its plan too); with ``max_tasks``, at most that many tasks of
    each phase (the rest counted in ``PhaseView.more``), so a page showing it stays bounded; without ``blockers``, the
    tasks' ``blocked_by`` is left empty (one query a task saved: what totals need)."""
    epic = sup.get(plan_id)
    parent = _meta(epic, "plan_phase").get("plan")
    if isinstance(parent, str):
        epic = sup.get(parent)
    if not epic.is_epic or PLAN_LABEL not in epic.labels:
        raise ValidationError("id", f"{plan_id} is not a plan (list plans with `overseer plan list`)")
    phases = [_phase(sup, pe, max_tasks, blockers) for pe in sup.list_tasks(TaskQuery(parent=epic.id)) if pe.is_epic]
    phases.sort(key=lambda p: (p.number, p.epic.id))
    return PlanView(epic, tuple(phases))


def load_phase(sup: Supervisor, phase_id: str, *, max_tasks: int | None = None) -> PhaseView:
    """One phase of a plan with its tasks (what a page refreshing one phase reads)."""
    epic = sup.get(phase_id)
    if not epic.is_epic or not isinstance(_meta(epic, "plan_phase").get("plan"), str):
        raise ValidationError("phase", f"{phase_id} is not a phase of a plan")
    return _phase(sup, epic, max_tasks, True)


def _phase(sup: Supervisor, epic: Task, max_tasks: int | None, blockers: bool) -> PhaseView:
    kids = sup.list_tasks(TaskQuery(parent=epic.id, limit=max_tasks))
    more = sup.count_tasks(TaskQuery(parent=epic.id)) - len(kids) if max_tasks is not None and len(kids) == max_tasks else 0
    return PhaseView(epic, tuple(PlanTaskView(k, _blocked_by(sup, k.id) if blockers else ()) for k in kids), more)


def _blocked_by(sup: Supervisor, task_id: str) -> tuple[str, ...]:
    return tuple(d.depends_on for d in sup.store.dependencies(task_id) if d.task_id == task_id and d.type == DepType.BLOCKS.value)


def list_plans(sup: Supervisor) -> list[Task]:
    """Every plan's epic, newest first."""
    found = sup.list_tasks(TaskQuery(kind=TaskKind.EPIC.value, label=PLAN_LABEL))
    return sorted(found, key=lambda t: t.created_at, reverse=True)


def plan_summary(sup: Supervisor, epic: Task) -> dict[str, object]:
    """A plan's line in a list, from its epic and its phase epics alone (one query): phases waiting, released and
    rejected at their gate, and the estimate it was stored with."""
    gates = [PhaseView(pe, ()).gate for pe in sup.list_tasks(TaskQuery(parent=epic.id, kind=TaskKind.EPIC.value))]
    m = _meta(epic, "plan")
    return {"id": epic.id, "title": epic.title, "status": epic.status.value, "request": m.get("request"), "mode": m.get("mode"),
            "estimate": m.get("estimate"), "phases": len(gates), "waiting": gates.count("waiting"),
            "released": gates.count("released"), "rejected": gates.count("rejected"), "created_at": epic.created_at.isoformat()}
