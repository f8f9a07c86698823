"""The gatekeeper: nothing reaches an integration branch unverified, and nothing waits silently.

A finished run's worktree goes through the verification pipeline; the verdict decides: land (a merge into the task's
integration branch, one at a time per branch), retry with the findings as feedback (the budget ends retries: then the
task is escalated and a person is told), or wait for a person. When an epic's last child has landed, the whole
integration diff is reviewed and the epic waits at the merge gate (``overseer approve EPIC``) unless configured to
merge by itself. Every stage result, verdict and merge is in the event log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from overseer.domain import OverseerError, Task, TaskStatus
from overseer.domain.enums import DepType
from overseer.domain.runs import Run, RunStatus
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus, Verdict, feedback_lines, verdict_for
from overseer.gate.notices import Notices
from overseer.ports import CheckContext, Integrator, MergeResult, Notifier, RunStore, Stage, TaskQuery, Verifier
from overseer.service import Supervisor

Discard = Callable[[str, bool], None]  # (run id, delete its branch too)


class Gatekeeper:
    def __init__(self, sup: Supervisor, runs: RunStore, integrator: Integrator, verifier: Verifier, notifier: Notifier | None, *,
                 actor: str, base: str | None = None, retest: Stage | None = None, epic_review: Stage | None = None,
                 discard: Discard | None = None, task_cost: Callable[[str], float] | None = None) -> None:
        self.sup, self.runs, self.integrator, self.verifier = sup, runs, integrator, verifier
        self.actor, self.retest, self.epic_review = actor, retest, epic_review
        self.base = base or ""
        self.discard: Discard = discard or (lambda run_id, delete: None)
        self.task_cost = task_cost
        self.notices = Notices(sup, notifier, actor=actor)
        self.landing = sup.config.landing

    # -- where a task's work starts from and lands ---------------------------------------------------------------
    def epic_of(self, task: Task) -> Task | None:
        for dep in self.sup.store.dependencies(task.id):
            if dep.task_id == task.id and dep.type == DepType.PARENT_CHILD.value:
                parent = self.sup.get(dep.depends_on)
                if parent.is_epic:
                    return parent
        return None

    def target_for(self, task: Task) -> str:
        """The integration branch ``task`` starts from and lands on (created when missing)."""
        epic = self.epic_of(task)
        if epic is not None:
            return self.epic_branch(epic)
        target = self.landing.target.format(base=self.base)
        if target != self.base:
            self.integrator.ensure_branch(target, self.base)
        return target

    def epic_branch(self, epic: Task) -> str:
        name, start = epic.branch or self.landing.epic_branch.format(epic=epic.id), self.merge_target(epic)
        self.integrator.ensure_branch(name, start)
        if epic.branch != name:
            self.sup.update(epic.id, {"branch": name}, actor=self.actor)
            self.event("branch.created", epic.id, None, {"branch": name, "from": start})
        return name

    def merge_target(self, epic: Task) -> str:
        """Where a finished epic merges: its parent epic's branch, or the base branch."""
        parent = self.epic_of(epic)
        return self.epic_branch(parent) if parent is not None else self.base

    # -- a finished run ------------------------------------------------------------------------------------------
    def verify(self, run: Run) -> None:
        """``after_run``, where a crash never lands anything: the task waits for a person, who is told."""
        try:
            self.after_run(run)
        except Exception as err:
            why = f"verification of run {run.id} could not finish: {type(err).__name__}: {err}"
            if self.sup.get(run.task_id).status == TaskStatus.VERIFYING:
                self.sup.set_status(run.task_id, TaskStatus.AWAITING_APPROVAL, actor=self.actor, reason=why[:2000])
            self.event("verify.crashed", run.task_id, run.id, {"error": why})
            self.notices.send("needs_guidance", f"{run.task_id}: verification could not finish", why, task=run.task_id,
                              run=run.id, severity="failure")

    def resume(self) -> None:
        """Verification or an epic's completion that a restart cut short: done now."""
        for task in self.sup.list_tasks(TaskQuery(statuses=(TaskStatus.VERIFYING,))):
            if task.is_epic:
                self.complete_epic(task)
                continue
            last = self.runs.list_runs(task_id=task.id, limit=1)
            if last and last[0].status == RunStatus.SUCCEEDED and last[0].verdict is None:
                self.verify(last[0])
            elif last and last[0].verdict is not None:
                self.decide(last[0], task)

    def after_run(self, run: Run) -> Run:
        """Verify ``run`` (its task is ``verifying``) and act on the verdict."""
        task = self.sup.get(run.task_id)
        if not (run.worktree and run.base_commit and run.head_commit):
            raise OverseerError(f"run {run.id} has no worktree or commits to verify")
        ctx = CheckContext(workdir=Path(run.worktree), base_commit=run.base_commit, head_commit=run.head_commit,
                           files=tuple(self.integrator.changed_files(run.base_commit, run.head_commit)), task_id=task.id,
                           title=task.title, body=task.body, acceptance=task.acceptance,
                           allow_empty=self.sup.config.verify.diff.allow_empty)

        def on_stage(result: StageResult) -> None:
            self.event("verify.stage", task.id, run.id, result.to_dict())

        results = self.verifier.run(ctx, on_stage)
        run = self.runs.update_run(run.id, {"verdict": verdict_for(results), "stages": tuple(results)}, actor=self.actor,
                                   event="run.verified")
        return self.decide(run, task)

    def decide(self, run: Run, task: Task) -> Run:
        verdict = run.verdict or Verdict.NEEDS_GUIDANCE
        if verdict.lands and self.gated(task):
            self._wait(task, run, f"verified ({verdict.value}); approval required before landing", "approval")
            return run
        if verdict.lands:
            return self.land(run, task)
        if verdict == Verdict.NEEDS_GUIDANCE:
            self._wait(task, run, "verification needs guidance: " + "; ".join(feedback_lines(run.stages, limit=3)), "needs_guidance")
            return run
        self.retry(run, task, "verification: " + "; ".join(feedback_lines(run.stages, limit=3)))
        return run

    def gated(self, task: Task) -> bool:
        """Verified work of ``task`` waits for a person before it lands (its ``land`` gate, or ``landing.approve_each``)."""
        return "land" in task.gates or self.landing.approve_each

    def _wait(self, task: Task, run: Run | None, why: str, kind: str) -> None:
        self.sup.set_status(task.id, TaskStatus.AWAITING_APPROVAL, actor=self.actor, reason=why)
        self.event("approval.requested", task.id, run.id if run else None, {"kind": kind, "why": why})
        self.notices.send("needs_guidance", f"{task.id} waits for a person: {task.title}",
                          f"{why}\n\nApprove: overseer approve {task.id}\nReject:  overseer reject {task.id} --reason '...'",
                          task=task.id, run=run.id if run else None, severity="warning")

    def retry(self, run: Run, task: Task, why: str) -> None:
        """Back to ``open`` with the findings as feedback, or, with the attempts spent, escalated to a person."""
        task = self.sup.get(task.id)
        if task.status == TaskStatus.VERIFYING:
            self.sup.set_status(task.id, TaskStatus.NEEDS_CHANGES, actor=self.actor, reason=why[:2000])
        self.discard(run.id, False)
        cap = task.budget.max_cost_usd
        spent = self.task_cost(task.id) if cap is not None and self.task_cost is not None else 0.0
        if cap is not None and spent >= cap:
            self.escalate_spent(task, run.id, spent, cap, f"cost budget spent (${spent:.2f} of ${cap:.2f}); the last run ({run.id}) "
                                                          f"needs changes: {why}")
            return
        if task.attempts < task.budget.max_attempts:
            self.sup.set_status(task.id, TaskStatus.OPEN, actor=self.actor,
                                reason=f"needs changes after run {run.id}; retrying with the findings as feedback")
            return
        why = f"{task.attempts} attempts spent; the last (run {run.id}) needs changes: {why}"
        self.sup.set_status(task.id, TaskStatus.ESCALATED, actor=self.actor, reason=why[:2000])
        self.event("task.escalated", task.id, run.id, {"why": "attempts", "attempts": task.attempts})
        self.notices.send("escalated", f"{task.id} escalated: {task.title}", why + "\n\n" + "\n".join(feedback_lines(run.stages)),
                          task=task.id, run=run.id, severity="failure")

    def escalate_spent(self, task: Task, run_id: str, spent: float, cap: float, why: str, *,
                       changes: dict[str, Any] | None = None) -> None:
        """``task`` spent its cost budget: escalated (a person decides), logged, and the person told."""
        self.sup.set_status(task.id, TaskStatus.ESCALATED, actor=self.actor, reason=why[:2000], changes=changes)
        self.event("task.escalated", task.id, run_id, {"why": "cost_budget", "spent_usd": round(spent, 6), "budget_usd": cap})
        self.notices.send("budget_exhausted", f"{task.id} spent its budget: {task.title}", why, task=task.id, run=run_id,
                          severity="failure")

    # -- landing ---------------------------------------------------------------------------------------------------
    def land(self, run: Run, task: Task, *, note: str | None = None) -> Run:
        target = self.target_for(task)
        if not run.branch:
            raise OverseerError(f"run {run.id} has no branch to land")
        message = f"Land {task.id}: {task.title}\n\nRun {run.id} ({run.profile}), verdict {run.verdict.value if run.verdict else '-'}."
        result = self.integrator.land(run.branch, target, base=run.base_commit, message=message + (f"\n\n{note}" if note else ""),
                                      retest=self._retest if self.landing.retest_when_moved and self.retest else None)
        self.event("land.result", task.id, run.id, _merge_data(result))
        if result.status == "merged":
            run = self.runs.update_run(run.id, {"target": target, "landed_commit": result.commit}, actor=self.actor, event="run.landed")
            self.sup.set_status(task.id, TaskStatus.DONE, actor=self.actor, reason=f"landed on {target} at {(result.commit or '')[:10]}")
            self.discard(run.id, False)  # the worktree goes; the run branch stays, merged, for the record
            self.notices.send("landed", f"{task.id} landed on {target}", result.detail, task=task.id, run=run.id)
            self._after_landing(task)
            return run
        stage = _landing_stage(result)
        run = self.runs.update_run(run.id, {"stages": (*run.stages, stage), "verdict": verdict_for([*run.stages, stage])},
                                   actor=self.actor, event="run.verified")
        if result.status in ("conflict", "retest_failed"):
            self.retry(run, task, f"landing on {target}: {result.detail}")
        else:
            self._wait(task, run, f"landing on {target} failed: {result.detail}", "needs_guidance")
        return run

    def _retest(self, workdir: Path, old: str, merged: str) -> StageResult:
        assert self.retest is not None
        ctx = CheckContext(workdir=workdir, base_commit=old, head_commit=merged, files=tuple(self.integrator.changed_files(old, merged)))
        return self.retest.run(ctx)

    def _after_landing(self, task: Task) -> None:
        epic = self.epic_of(task)
        if epic is not None and epic.status == TaskStatus.VERIFYING:
            self.complete_epic(epic)

    # -- epics -----------------------------------------------------------------------------------------------------
    def complete_epic(self, epic: Task) -> None:
        """Every child landed: review the whole integration diff, then the gate (or the merge, when not gated)."""
        branch, target = self.epic_branch(epic), self.merge_target(epic)
        head, base = self.integrator.head(branch) or "", self.integrator.merge_base(target, branch)
        results: list[StageResult] = []
        if self.landing.epic_review and self.epic_review is not None:
            ctx = CheckContext(workdir=self.sup.root, base_commit=base, head_commit=head,
                               files=tuple(self.integrator.changed_files(base, head)),
                               task_id=epic.id, title=epic.title, body=epic.body, acceptance=epic.acceptance)
            results.append(self.epic_review.run(ctx))
        verdict = verdict_for(results)
        self.event("epic.reviewed", epic.id, None, {"verdict": verdict.value, "stages": [r.to_dict() for r in results],
                                                    "branch": branch, "target": target, "head": head})
        if self.landing.epic_approval or not verdict.lands:
            why = f"all children landed on {branch}; epic review: {verdict.value}; merging into {target} needs approval"
            self.sup.set_status(epic.id, TaskStatus.AWAITING_APPROVAL, actor=self.actor, reason=why)
            self.event("approval.requested", epic.id, None, {"kind": "epic", "why": why})
            findings = "\n".join(feedback_lines(results)) or "no findings"
            self.notices.send("epic_ready", f"Epic {epic.id} ready for approval: {epic.title}",
                              f"{why}\n\nReview findings:\n{findings}\n\nApprove: overseer approve {epic.id}", task=epic.id)
            return
        self.merge_epic(self.sup.get(epic.id))

    def merge_epic(self, epic: Task, *, note: str | None = None) -> MergeResult:
        branch, target = self.epic_branch(epic), self.merge_target(epic)
        base = self.integrator.merge_base(target, branch)
        message = f"Merge epic {epic.id}: {epic.title}" + (f"\n\n{note}" if note else "")
        result = self.integrator.land(branch, target, base=base, message=message, retest=self._retest if self.retest else None)
        self.event("epic.merged" if result.status == "merged" else "land.result", epic.id, None, _merge_data(result))
        if result.status == "merged":
            self.sup.set_status(epic.id, TaskStatus.DONE, actor=self.actor, reason=f"merged into {target} at {(result.commit or '')[:10]}")
            if self.landing.remote and target == self.base:
                self._push(epic, target)
        return result

    def _push(self, epic: Task, branch: str) -> None:
        assert self.landing.remote is not None
        try:
            self.integrator.push(self.landing.remote, branch)
            self.event("branch.pushed", epic.id, None, {"remote": self.landing.remote, "branch": branch})
        except OverseerError as err:
            self.event("branch.push_failed", epic.id, None, {"remote": self.landing.remote, "branch": branch, "error": str(err)})
            self.notices.send("failed", f"Pushing {branch} failed", str(err), task=epic.id, severity="failure")

    # -- what the next attempt reads -------------------------------------------------------------------------------
    def feedback(self, task: Task) -> list[str]:
        """Earlier attempts of ``task``: how each ended, what verification found (worst first, with file:line), and what a
        person said when rejecting it."""
        lines: list[str] = []
        for r in sorted(self.runs.list_runs(task_id=task.id), key=lambda r: r.attempt):
            if r.verdict is not None and not r.verdict.lands:
                lines.append(f"attempt {r.attempt} ({r.profile}) was verified {r.verdict.value}:")
                lines += [f"  {line}" for line in feedback_lines(r.stages, limit=10)]
            elif r.status.is_final() and r.status != RunStatus.SUCCEEDED:
                reason = r.exit_reason.value if r.exit_reason else r.status.value
                lines.append(f"attempt {r.attempt} ({r.profile}) ended with {reason}" + (f": {r.error}" if r.error else ""))
        for e in self.sup.events(task_id=task.id, limit=10_000):
            if e.kind == "approval.rejected":
                lines.append(f"a person rejected attempt {task.attempts}: {e.data.get('reason')}")
        return lines

    def event(self, kind: str, task_id: str | None, run_id: str | None, data: Mapping[str, Any]) -> None:
        self.sup.store.record_event(kind, actor=self.actor, task_id=task_id, run_id=run_id, data=dict(data))


def _merge_data(result: MergeResult) -> dict[str, Any]:
    return {"status": result.status, "target": result.target, "commit": result.commit, "previous": result.previous,
            "moved": result.moved, "conflicts": list(result.conflicts), "detail": result.detail,
            "retest": result.retest.to_dict() if result.retest else None}


def _landing_stage(result: MergeResult) -> StageResult:
    """A failed landing as a stage of the run's verification: the conflicting files, or the tests that failed on the merge."""
    if result.status == "retest_failed" and result.retest is not None:
        r = result.retest
        return StageResult("retest", r.status, r.findings, r.duration_s, f"on the merge with {result.target}: {r.detail}", r.tools,
                           r.metrics)
    findings = tuple(Finding("merge", Severity.HIGH, "MERGE_CONFLICT", f"conflicts with {result.target}", file=f,
                             remediation=f"rebase the change on {result.target} and resolve the conflict") for f in result.conflicts)
    status = StageStatus.FAILED if result.status == "conflict" else StageStatus.ERROR
    return StageResult("merge", status, findings, 0.0, result.detail or result.status)
