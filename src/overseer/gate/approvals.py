"""Approval gates: what waits for a person, and what ``approve`` and ``reject`` do with it.

- a task held before it starts (``hold``, the ``start`` gate): approve lifts the hold; reject cancels it with the reason;
- a held epic (a plan's phase, ``overseer plan``): approve lifts its hold and that of every task under it holding the same
  hold, so the phase is released as one; reject cancels the epic and those tasks with the reason;
- a task awaiting approval after verification (``needs_guidance``, or the ``land`` gate): approve lands its verified run;
  reject sends it back to ``open`` with the reason as feedback for the next attempt;
- an epic whose children all landed: approve merges its integration branch into the base branch; reject files a child
  task with the reason (its agent works on the integration branch) and reopens the epic.
"""

from __future__ import annotations

from dataclasses import dataclass

from overseer.domain import OverseerError, Task, TaskKind, TaskStatus, ValidationError
from overseer.domain.runs import Run, RunStatus
from overseer.gate.keeper import Gatekeeper
from overseer.ports import TaskQuery
from overseer.service import NewTask


@dataclass(frozen=True)
class Approval:
    task: Task
    kind: str          # start | phase | land | needs_guidance | epic
    reason: str
    run: Run | None = None

    def dict(self) -> dict[str, object]:
        return {"id": self.task.id, "title": self.task.title, "kind": self.kind, "status": self.task.status.value, "reason": self.reason,
                "run": self.run.id if self.run else None, "verdict": self.run.verdict.value if self.run and self.run.verdict else None}


@dataclass(frozen=True)
class Outcome:
    task: Task
    action: str        # started | landed | merged | sent_back | cancelled | conflict | ...
    detail: str

    def dict(self) -> dict[str, object]:
        return {"id": self.task.id, "status": self.task.status.value, "action": self.action, "detail": self.detail}


class Approvals:
    def __init__(self, gate: Gatekeeper) -> None:
        self.gate, self.sup = gate, gate.sup

    def pending(self) -> list[Approval]:
        held_tasks = self.sup.list_tasks(TaskQuery(statuses=(TaskStatus.OPEN,), held=True))
        phases = {t.hold for t in held_tasks if t.is_epic}  # a held phase stands for the tasks that share its hold
        held = [Approval(t, "phase" if t.is_epic else "start", t.hold or "") for t in held_tasks
                if t.is_epic or t.hold not in phases]
        waiting = []
        for t in self.sup.list_tasks(TaskQuery(statuses=(TaskStatus.AWAITING_APPROVAL,))):
            run = self._verified_run(t)
            gated = self.gate.gated(t) and run is not None and run.verdict is not None and run.verdict.lands
            kind = "epic" if t.is_epic else ("land" if gated else "needs_guidance")
            waiting.append(Approval(t, kind, t.close_reason or "", run))
        return waiting + held

    def _verified_run(self, task: Task) -> Run | None:
        runs = self.gate.runs.list_runs(task_id=task.id, statuses=(RunStatus.SUCCEEDED,), limit=1)
        return runs[0] if runs and runs[0].head_commit and runs[0].landed_commit is None else None

    def approve(self, task_id: str, *, note: str | None = None) -> Outcome:
        task = self.sup.get(task_id)
        actor = self.gate.actor
        if task.status == TaskStatus.OPEN and task.hold and task.is_epic:
            return self._release_phase(task, note)
        if task.status == TaskStatus.OPEN and task.hold:
            task = self.sup.update(task.id, {"hold": None}, actor=actor)
            self.gate.event("approval.granted", task.id, None, {"gate": "start", "note": note})
            return Outcome(task, "released", "the hold is lifted: the task is ready when its dependencies are done")
        if task.status != TaskStatus.AWAITING_APPROVAL:
            raise ValidationError("id", f"{task.id} is {task.status.value}: nothing waits for approval "
                                        "(`overseer approvals` lists what does)")
        self.gate.event("approval.granted", task.id, None, {"gate": "epic" if task.is_epic else "land", "note": note})
        if task.is_epic:
            result = self.gate.merge_epic(task, note=note)
            action = "merged" if result.status == "merged" else result.status
            return Outcome(self.sup.get(task.id), action, result.detail)
        run = self._verified_run(task)
        if run is None:
            raise OverseerError(f"{task.id} has no verified run to land; reject it to send it back "
                                f"(`overseer reject {task.id} --reason ...`)")
        run = self.gate.land(run, task, note=f"Approved by {actor}" + (f": {note}" if note else ""))
        after = self.sup.get(task.id)
        return Outcome(after, "landed" if after.status == TaskStatus.DONE else "sent_back",
                       f"landed on {run.target} at {(run.landed_commit or '')[:10]}" if run.landed_commit else after.close_reason or "")

    def reject(self, task_id: str, *, reason: str) -> Outcome:
        if not reason.strip():
            raise ValidationError("reason", "say why: the reason becomes the agent's feedback")
        task = self.sup.get(task_id)
        actor = self.gate.actor
        if task.status == TaskStatus.OPEN and task.hold and task.is_epic:
            return self._reject_phase(task, reason)
        if task.status == TaskStatus.OPEN and task.hold:
            self.gate.event("approval.rejected", task.id, None, {"gate": "start", "reason": reason})
            done = self.sup.set_status(task.id, TaskStatus.CANCELLED, actor=actor, reason=f"rejected before it started: {reason}")
            return Outcome(done, "cancelled", reason)
        if task.status != TaskStatus.AWAITING_APPROVAL:
            raise ValidationError("id", f"{task.id} is {task.status.value}: nothing waits for approval")
        self.gate.event("approval.rejected", task.id, None, {"gate": "epic" if task.is_epic else "land", "reason": reason})
        if task.is_epic:
            fix = self.sup.create_task(NewTask(title=f"Changes requested on epic {task.id}", body=reason, kind=TaskKind.TASK.value,
                                               parent=task.id), actor=actor)
            reopened = self.sup.set_status(task.id, TaskStatus.OPEN, actor=actor, reason=f"rejected at the merge gate: {reason}")
            return Outcome(reopened, "sent_back", f"filed {fix.id} under the epic with the reason; the epic reopens")
        run = self._verified_run(task)
        if run is not None:
            self.gate.discard(run.id, False)
        reopened = self.sup.set_status(task.id, TaskStatus.OPEN, actor=actor, reason=f"rejected: {reason}")
        return Outcome(reopened, "sent_back", "back to open; the reason is the next attempt's feedback")

    # -- held epics: a plan's phases -------------------------------------------------------------------------------
    def _phase_tasks(self, epic: Task) -> list[Task]:
        """The open tasks under a held epic that carry its very hold: the phase released or rejected with it."""
        return [t for t in self.sup.list_tasks(TaskQuery(parent=epic.id, statuses=(TaskStatus.OPEN,))) if t.hold == epic.hold]

    def _release_phase(self, epic: Task, note: str | None) -> Outcome:
        actor = self.gate.actor
        tasks = self._phase_tasks(epic)
        for t in tasks:  # the tasks first: if this stops half-way, the epic is still held and approving it again finishes
            self.sup.update(t.id, {"hold": None}, actor=actor)
        released = self.sup.update(epic.id, {"hold": None}, actor=actor)
        self.gate.event("approval.granted", epic.id, None, {"gate": "phase", "note": note, "tasks": [t.id for t in tasks]})
        return Outcome(released, "released", f"released phase: {len(tasks)} tasks (each starts when its dependencies are done)")

    def _reject_phase(self, epic: Task, reason: str) -> Outcome:
        actor = self.gate.actor
        tasks = self._phase_tasks(epic)
        self.gate.event("approval.rejected", epic.id, None, {"gate": "phase", "reason": reason, "tasks": [t.id for t in tasks]})
        why = f"phase rejected before it started: {reason}"
        for t in tasks:
            self.sup.set_status(t.id, TaskStatus.CANCELLED, actor=actor, reason=why)
        done = self.sup.set_status(epic.id, TaskStatus.CANCELLED, actor=actor, reason=why)
        return Outcome(done, "cancelled", f"cancelled phase: {len(tasks)} tasks; later phases wait on it until it is re-planned")
