"""The task graph: create a task, see what is ready, claim one, update it, show it, approve what waits for a person.

The same use cases and shapes as the REST API (``overseer.api.routes.tasks``): ``TaskCreate`` and ``TaskPatch`` check the
input, ``TaskOut``/``TaskDetail``/``ReadyPage`` describe the output.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from overseer.api.schemas import (
    Gate,
    Ids,
    Items,
    Priority,
    Profile,
    ReadyPage,
    Short,
    TaskCreate,
    TaskDetail,
    TaskId,
    TaskOut,
    TaskPatch,
    Text,
    Title,
    Worker,
)
from overseer.bootstrap import open_approvals
from overseer.domain import ClaimError, Complexity, TaskKind, TaskStatus, ValidationError, WorkType
from overseer.domain.serialize import dep_dict, task_dict
from overseer.mcp.shapes import ApprovalOut, ClaimOut
from overseer.mcp.tooling import add, caller
from overseer.service import Supervisor

Id = Annotated[TaskId, Field(description="A task id such as ov-1a2b (task_create, task_ready and task_show give them).")]
Lease = Annotated[float, Field(gt=0, le=86_400, description="How long the claim holds, in seconds (default: the project's "
                                                             "claims.lease_seconds).")]
Labels = Annotated[Items, Field(description="Free-form labels such as 'backend' or 'flaky'.")]
Urgency = Annotated[Priority | None, Field(description="0 (most urgent) to 4, or critical, high, medium, low, backlog.")]


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def register(server: MCPServer, sup: Supervisor) -> None:
    def task_create(
        ctx: Context,
        title: Annotated[Title, Field(description="One line saying what must be done.")],
        body: Annotated[Text, Field(description="The details in markdown: context, constraints, how to check the result.")] = "",
        kind: Annotated[TaskKind, Field(description="task, bug, feature, chore, review or plan; 'epic' groups tasks.")] = TaskKind.TASK,
        priority: Urgency = None,
        work_type: Annotated[WorkType | None, Field(description="What kind of work it is (routes it to a fitting agent).")] = None,
        complexity: Annotated[Complexity | None, Field(description="simple, medium or complex (a bigger model for complex).")] = None,
        labels: Labels | None = None,
        acceptance: Annotated[Items | None, Field(description="When it is done: checkable criteria, one per item.")] = None,
        file_hints: Annotated[Items | None, Field(description="Files or folders the work probably touches.")] = None,
        parent: Annotated[TaskId | None, Field(description="The epic this task belongs to.")] = None,
        blocked_by: Annotated[Ids | None, Field(description="Tasks that must be done before this one can start.")] = None,
        profile: Annotated[Profile | None, Field(description="Pin an agent profile (list_models names them) instead of routing.")] = None,
        gates: Annotated[list[Gate] | None, Field(description="'start': held until a person approves it; 'land': its verified "
                                                               "change waits for approval before landing.")] = None,
        max_attempts: Annotated[int | None, Field(ge=1, le=100, description="Agent attempts before it fails.")] = None,
        max_cost_usd: Annotated[float | None, Field(ge=0, description="Dollars it may spend before it is escalated.")] = None,
    ) -> TaskOut:
        """Create a task in Overseer's task graph; agents supervised by Overseer pick it up when it is ready.

        Use this when work should be done later or by another agent: a follow-up you found, a bug to fix, a feature to
        build, a chore. Give a clear title, the details in `body`, and `acceptance` criteria when you can. Use `blocked_by`
        for tasks that must finish first and `parent` to put it under an epic. Do not use it to record knowledge (use
        brain_write) or to plan a large request into phases (use plan_request). Returns the new task with its id.
        """
        fields = _given(title=title, body=body, kind=kind, priority=priority, work_type=work_type, complexity=complexity, labels=labels,
                        acceptance=acceptance, file_hints=file_hints, parent=parent, blocked_by=blocked_by, profile=profile,
                        gates=gates, max_attempts=max_attempts, max_cost_usd=max_cost_usd)
        task = sup.create_task(TaskCreate.model_validate(fields).new_task(), actor=caller(ctx))
        return TaskOut.model_validate(task_dict(task))

    def task_ready(limit: Annotated[int, Field(ge=1, le=100, description="At most this many.")] = 10) -> ReadyPage:
        """List the tasks that can start now, most urgent first (priority, then age), in the order they will be taken.

        Use this to find work to claim, or to check whether a task is unblocked. A ready task is open, not claimed, not
        held for approval, and every task it depends on is done. Do not use it to look a task up by id (use task_show).
        """
        found = sup.ready(limit + 1)
        return ReadyPage.model_validate({"tasks": [task_dict(t) for t in found[:limit]], "limit": limit, "offset": 0,
                                         "more": len(found) > limit})

    def task_claim(
        ctx: Context,
        task_id: Annotated[TaskId | None, Field(description="The task to claim; leave it out to claim the most urgent ready task.")] = None,
        worker: Annotated[Worker | None, Field(description="Who claims it (default: this MCP client).")] = None,
        lease_seconds: Lease | None = None,
    ) -> ClaimOut:
        """Claim a task so that no other worker takes it while you work on it (the claim lapses after the lease).

        Use this before you start working on a task yourself: with `task_id` to take that task, without it to take the
        most urgent ready one. Then report progress and the outcome with task_update (status running, then done). Fails
        when another worker holds the task or it is not ready. Do not use it merely to look at a task (use task_show).
        """
        who = worker or caller(ctx)
        if task_id is None:
            task = sup.claim_next(who, lease_seconds)
            if task is None:
                return ClaimOut(claimed=False, task=None, detail="nothing is ready: every open task is blocked, held or claimed")
            return ClaimOut(claimed=True, task=TaskOut.model_validate(task_dict(task)), detail=f"claimed by {who}")
        task = sup.claim(task_id, who, lease_seconds)
        if task is None:
            now = sup.get(task_id)
            holder = f"held by {now.claimed_by}" if now.claimed_by else "held by nobody"
            raise ClaimError(f"task {now.id} is {now.status.value}, {holder}; not claimable by {who} now")
        return ClaimOut(claimed=True, task=TaskOut.model_validate(task_dict(task)), detail=f"claimed by {who}")

    def task_update(
        ctx: Context,
        task_id: Id,
        status: Annotated[TaskStatus | None, Field(description="Move it to this status (checked against the state machine: e.g. "
                                                               "claimed -> running -> done; any live task -> cancelled).")] = None,
        reason: Annotated[Short | None, Field(description="Why, with a status change (kept as the close reason).")] = None,
        title: Title | None = None,
        body: Text | None = None,
        notes: Annotated[Text | None, Field(description="Replaces the task's notes (progress, findings, hand-over).")] = None,
        priority: Urgency = None,
        kind: TaskKind | None = None,
        work_type: WorkType | None = None,
        complexity: Complexity | None = None,
        labels: Labels | None = None,
        acceptance: Items | None = None,
        file_hints: Items | None = None,
        profile: Profile | None = None,
    ) -> TaskOut:
        """Change a task: its status (with a reason) and/or fields such as title, body, notes or priority, in one step.

        Use this to report progress on a task you claimed (status running, notes), to finish it (status done, with a
        reason), to cancel it, or to correct its description. Only the fields you give change; a status move the state
        machine forbids is refused and lists the legal ones. Do not use it to approve held work (use approve).
        """
        patch = TaskPatch.model_validate(_given(title=title, body=body, notes=notes, priority=priority, kind=kind, work_type=work_type,
                                                complexity=complexity, labels=labels, acceptance=acceptance, file_hints=file_hints,
                                                profile=profile))
        changes = patch.model_dump(mode="json", exclude_unset=True)
        if status is not None:
            task = sup.set_status(task_id, status, actor=caller(ctx), reason=reason, changes=changes or None)
        elif reason is not None:
            raise ValidationError("reason", "goes with a status change: give `status` too")
        elif not changes:
            raise ValidationError("status", "nothing to change: give a status or at least one field (title, body, notes, priority…)")
        else:
            task = sup.update(task_id, changes, actor=caller(ctx))
        return TaskOut.model_validate(task_dict(task))

    def task_show(task_id: Id) -> TaskDetail:
        """Show one task in full: its fields and status, whether it is blocked, what it depends on, what depends on it, and
        its children when it is an epic.

        Use this to read a task before working on it or to check its state. Do not use it to find work (use task_ready).
        """
        view = sup.show(task_id)
        return TaskDetail.model_validate({
            "task": task_dict(view.task), "blocked": view.blocked, "depends_on": [dep_dict(d) for d in view.depends_on],
            "dependents": [dep_dict(d) for d in view.dependents], "children": [task_dict(c) for c in view.children]})

    def approve(
        ctx: Context,
        task_id: Annotated[TaskId, Field(description="The task, epic or plan phase waiting for approval.")],
        note: Annotated[str | None, Field(max_length=10_000, description="Kept in the event log and the merge commit.")] = None,
    ) -> ApprovalOut:
        """Approve what waits for a person: lift a task's start gate, release a plan phase (the epic plan_request stored,
        with all its tasks), land a verified change waiting at its land gate, or merge a finished epic into the base branch.

        Use this only when the person you work for has decided to approve, or has told you to. Do not use it to finish your
        own work (use task_update with status done). The result's `action` says what happened: released, landed or merged.
        """
        outcome = open_approvals(sup, actor=caller(ctx)).approve(task_id, note=note)
        return ApprovalOut.model_validate(outcome.dict())

    add(server, task_create, title="Create a task")
    add(server, task_ready, title="Ready tasks", read_only=True, idempotent=True)
    add(server, task_claim, title="Claim a task")
    add(server, task_update, title="Update a task", destructive=True)  # it may cancel or delete
    add(server, task_show, title="Show a task", read_only=True, idempotent=True)
    add(server, approve, title="Approve held work")
