"""A plan in the task graph: one epic for the request, one child epic per phase, the tasks under their phase.

Every phase waits behind an approval gate: its epic is held with the ``start`` gate and each of its tasks carries the same
hold, so ``overseer approve PHASE`` releases them together. Phase N+1's epic is blocked by phase N's epic, so its tasks start
only once phase N has merged into the plan's branch (they build on it), and its first tasks are blocked by phase N's last
tasks, so the order shows on each task too. The graph is written task by task (the store has no multi-task transaction
beside the Beads import); when a write fails, everything already written is deleted, so a plan is never half-stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from overseer.domain import Budget, Dependency, DepType, Task, TaskKind, TaskStatus, ValidationError, WorkType, new_task_id
from overseer.planning.estimate import PlanEstimate
from overseer.planning.review import Review
from overseer.planning.schema import Plan, TaskRef
from overseer.service import Supervisor

__all__ = ["PHASE_LABEL", "PLAN_LABEL", "StoredPlan", "phase_hold", "store_plan"]

PLAN_LABEL, PHASE_LABEL = "plan", "plan-phase"


def phase_hold(number: int, phase_id: str) -> str:
    return f"phase {number} awaits approval (`overseer approve {phase_id}`)"


@dataclass(frozen=True)
class StoredPlan:
    epic: Task
    phases: tuple[Task, ...]
    tasks: dict[TaskRef, Task]

    def dict(self) -> dict[str, object]:
        return {"id": self.epic.id, "phases": [p.id for p in self.phases], "tasks": len(self.tasks)}


@dataclass(frozen=True)
class PlanRecord:
    """What the plan's epic keeps of how the plan was made (its ``extra["plan"]``)."""

    request: str
    plan: Plan
    estimate: PlanEstimate
    review: Review
    mode: str | None
    model: Mapping[str, Any]
    attempts: int


class _Writer:
    """Adds tasks one by one, remembering each, so a failure can delete them all."""

    def __init__(self, sup: Supervisor, actor: str) -> None:
        self.sup, self.actor = sup, actor
        self.created: list[str] = []

    def add(self, fields: dict[str, Any], deps: Sequence[tuple[str, str]], hold: str | Callable[[str], str] | None = None) -> Task:
        d = self.sup.config.defaults
        base = {"priority": d.priority, "budget": Budget(max_attempts=d.max_attempts), **fields}
        for length in (5, 6, 8, 10):
            task_id = new_task_id(str(base["title"]), length=length)
            task = Task(id=task_id, **base, hold=hold(task_id) if callable(hold) else hold)
            try:
                added = self.sup.store.add_task(task, [Dependency(task_id, on, t, created_by=self.actor) for on, t in deps],
                                                actor=self.actor)
            except ValidationError as err:
                if err.field != "id":
                    raise
                continue
            self.created.append(added.id)
            return added
        raise ValidationError("id", "could not find a free task id; try again")  # pragma: no cover

    def undo(self, why: str) -> list[str]:
        """Delete what was written, newest first; the ids that could not be deleted."""
        stuck = []
        for task_id in reversed(self.created):
            try:
                self.sup.set_status(task_id, TaskStatus.DELETED, actor=self.actor, reason=f"plan not stored: {why}")
            except Exception:  # keep deleting the rest; the caller reports what stayed
                stuck.append(task_id)
        return stuck


def store_plan(sup: Supervisor, record: PlanRecord, *, actor: str) -> StoredPlan:
    writer = _Writer(sup, actor)
    try:
        stored = _write(writer, record)
    except Exception as err:
        stuck = writer.undo(str(err))
        if stuck:
            err.add_note(f"these tasks of the half-stored plan could not be deleted: {', '.join(stuck)}")
        raise
    sup.store.record_event("plan.stored", actor=actor, task_id=stored.epic.id,
                           data={"phases": [p.id for p in stored.phases], "tasks": len(stored.tasks), **record.estimate.totals()})
    return stored


def _epic_body(record: PlanRecord) -> str:
    est = record.estimate
    lines = [f"- phase {p.number}: {len(p.tasks)} tasks, ~{p.minutes} min, ${p.cost_usd:.2f} (billed ${p.billed_usd:.2f})"
             for p in est.phases]
    return (f"{record.request.strip()}\n\n## Plan\n{record.plan.summary or '(no summary)'}\n\n## Codebase review\n"
            f"{record.review.summary()}\n\n## Estimate\n~{est.minutes} min, ${est.cost_usd:.2f} (billed ${est.billed_usd:.2f})"
            + (f", {est.unpriced} tasks unpriced" if est.unpriced else "") + "\n" + "\n".join(lines))


def _write(w: _Writer, record: PlanRecord) -> StoredPlan:
    plan, est = record.plan, record.estimate
    title = " ".join(record.request.split())[:120] or "plan"
    meta = {"request": record.request, "summary": plan.summary, "mode": record.mode, "model": dict(record.model),
            "attempts": record.attempts, "estimate": est.totals(), "review": record.review.dict()}
    epic = w.add({"title": f"Plan: {title}", "kind": TaskKind.EPIC.value, "body": _epic_body(record), "labels": (PLAN_LABEL,),
                  "work_type": WorkType.PLANNING, "extra": {"plan": meta}}, [])
    deps = plan.dependencies()
    phases: list[Task] = []
    tasks: dict[TaskRef, Task] = {}
    for p, phase in enumerate(plan.phases):
        pe, n = est.phases[p], p + 1
        gate = [(phases[-1].id, DepType.BLOCKS.value)] if phases else []
        body = f"{phase.goal or phase.title}\n\n~{pe.minutes} min, ${pe.cost_usd:.2f} (billed ${pe.billed_usd:.2f})"
        extra = {"plan_phase": {"plan": epic.id, "number": n, "goal": phase.goal, "estimate": pe.totals()}}
        phase_epic = w.add({"title": f"Phase {n}: {phase.title}", "kind": TaskKind.EPIC.value, "body": body, "labels": (PHASE_LABEL,),
                            "gates": ("start",), "extra": extra}, [(epic.id, DepType.PARENT_CHILD.value), *gate],
                           hold=partial(phase_hold, n))
        last = [tasks[(p - 1, t)].id for t in _sinks(p - 1, plan, deps)] if p else []
        for t in _order(p, len(phase.tasks), deps):
            task, te = phase.tasks[t], pe.tasks[t]
            own = [(tasks[d].id, DepType.BLOCKS.value) for d in deps[(p, t)]]
            first = [] if any(d[0] == p for d in deps[(p, t)]) else [(x, DepType.BLOCKS.value) for x in last]
            body = "\n\n".join(x for x in (task.description, f"Part of phase {n} ({phase.title}) of plan {epic.id}: {title}") if x)
            extra = {"plan_task": {"plan": epic.id, "phase": n, "key": task.ref, "estimate": te.dict()}}
            tasks[(p, t)] = w.add({"title": task.title, "body": body, "work_type": task.work_type, "complexity": task.complexity,
                                   "acceptance": task.acceptance, "file_hints": task.file_hints, "extra": extra},
                                  [(phase_epic.id, DepType.PARENT_CHILD.value), *dict.fromkeys(own + first)],
                                  hold=phase_epic.hold)
        phases.append(phase_epic)
    return StoredPlan(epic, tuple(phases), tasks)


def _order(p: int, count: int, deps: dict[TaskRef, tuple[TaskRef, ...]]) -> list[int]:
    """The tasks of phase ``p`` so that each comes after those of its phase it depends on (the plan has no loop)."""
    done: list[int] = []

    def visit(t: int) -> None:
        if t in done:
            return
        for d in deps[(p, t)]:
            if d[0] == p:
                visit(d[1])
        done.append(t)

    for t in range(count):
        visit(t)
    return done


def _sinks(p: int, plan: Plan, deps: dict[TaskRef, tuple[TaskRef, ...]]) -> list[int]:
    """The tasks of phase ``p`` no other task of that phase depends on: the phase's last tasks."""
    needed = {d[1] for (q, _), ds in deps.items() if q == p for d in ds if d[0] == p}
    return [t for t in range(len(plan.phases[p].tasks)) if t not in needed]
