"""Real data for the dashboard's tests: tasks, an epic with a dependency chain, runs with logs, stages and a real diff,
ledger entries and a parked provider, an audit report, and an epic truly awaiting approval (its child's work committed
on the epic's integration branch, moved there through legal transitions only)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from overseer.api import AppContext
from overseer.api.files import run_dir
from overseer.config import STATE_DIR
from overseer.domain import Task, TaskKind, TaskStatus, utcnow
from overseer.domain.audit import AuditReport, Issue
from overseer.domain.runs import ExitReason, Run, RunStatus
from overseer.domain.usage import UsageEntry, new_usage_id
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus, Verdict
from overseer.service import NewTask

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
ACTOR = "test"


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit_on_branch(repo: Path, branch: str, files: dict[str, str], message: str, *, start: str = "main") -> str:
    """Commit ``files`` on ``branch`` (created from ``start`` when missing) in a scratch worktree; the user's checkout
    is not touched. Returns the new commit."""
    scratch = repo.parent / f"scratch-{branch.replace('/', '-')}"
    exists = subprocess.run(["git", "rev-parse", "--verify", "-q", branch], cwd=repo, capture_output=True).returncode == 0
    git(repo, "worktree", "add", "-q", *([str(scratch), branch] if exists else ["-b", branch, str(scratch), start]))
    try:
        for name, text in files.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text(text)
        git(scratch, "add", "-A")
        git(scratch, "commit", "-qm", message)
        return git(scratch, "rev-parse", "HEAD")
    finally:
        git(repo, "worktree", "remove", "--force", str(scratch))


def task(ctx: AppContext, title: str, **fields: object) -> Task:
    return ctx.sup.create_task(NewTask(title=title, **fields), actor=ACTOR)  # type: ignore[arg-type]


def move(ctx: AppContext, task_id: str, *path: TaskStatus) -> Task:
    """Through each status in turn (each move checked by the state machine)."""
    moved = ctx.sup.get(task_id)
    for status in path:
        moved = ctx.sup.set_status(task_id, status, actor=ACTOR)
    return moved


def running_run(ctx: AppContext, task_id: str, run_id: str, *, log: str = "") -> Run:
    """A run in ``running`` the way the runner leaves one: claimed and started in one transaction, then run.started."""
    base = git(ctx.root, "rev-parse", "main")
    run = Run(id=run_id, task_id=task_id, profile="claude", harness="claude-code", created_at=utcnow())
    assert ctx.runs.start_run(task_id, run, worker=ACTOR, lease_seconds=3600) is not None
    out = run_dir(ctx.root, run_id)
    out.mkdir(parents=True, exist_ok=True)
    (out / "output.log").write_text(log)
    return ctx.runs.update_run(run_id, {"status": RunStatus.RUNNING, "started_at": utcnow(), "pid": 4242, "worker": ACTOR,
                                        "branch": f"overseer/run/{run_id}", "base_commit": base}, actor=ACTOR, event="run.started")


STAGES = (
    StageResult("diff", StageStatus.PASSED, duration_s=0.012, detail="2 files, +9 -1"),
    StageResult("static", StageStatus.PASSED, (Finding("static", Severity.MEDIUM, "LINT", "line too long (131 > 120)", "calc.py", 7,
                                                       "E501"),), duration_s=0.41, detail="ruff: 1 finding"),
    StageResult("secrets", StageStatus.PASSED, duration_s=0.08, detail="no secrets in the added lines"),
    StageResult("tests", StageStatus.PASSED, duration_s=1.93, detail="4 passed in 0.61s", metrics={"test_pass_rate": 1.0}),
    StageResult("review", StageStatus.PASSED, duration_s=3.2, detail="looks right", verdict=Verdict.APPROVED),
)


def finished_run(ctx: AppContext, task_id: str, run_id: str) -> Run:
    """A run that succeeded with a real commit (so a real diff), verified with stage results."""
    run = running_run(ctx, task_id, run_id, log="reading calc.py\nadding mul()\nrunning the tests: 4 passed\n")
    head = commit_on_branch(ctx.root, f"overseer/run/{run_id}", {"calc.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n"
                                                                  "    return a * b\n", "README.md": "# sample\n\nNow with mul.\n"},
                            f"{task_id}: add mul")
    ctx.runs.update_run(run.id, {"status": RunStatus.SUCCEEDED, "exit_reason": ExitReason.COMPLETED, "exit_code": 0, "ended_at": utcnow(),
                                 "head_commit": head, "tokens_in": 18_250, "tokens_out": 2_310, "cost_usd": 0.0842, "turns": 7,
                                 "diff_stat": {"files": 2, "insertions": 7, "deletions": 0}}, actor=ACTOR, event="run.finished")
    return ctx.runs.update_run(run.id, {"verdict": Verdict.APPROVED_MINOR, "stages": STAGES}, actor=ACTOR, event="run.verified")


@dataclass(frozen=True)
class EpicAtGate:
    epic: Task
    child: Task
    commit: str  # the child's work, on the epic's integration branch


def epic_awaiting_approval(ctx: AppContext, title: str = "Calculator operations") -> EpicAtGate:
    """An epic whose one child is done, with the child's commit on ``overseer/epic/<id>``, waiting at the merge gate."""
    epic = task(ctx, title, kind=TaskKind.EPIC.value)
    child = task(ctx, f"{title}: add mul", parent=epic.id)
    branch = f"overseer/epic/{epic.id}"
    commit = commit_on_branch(ctx.root, branch, {f"ops_{epic.id}.py": "def mul(a, b):\n    return a * b\n"}, f"{child.id}: add mul")
    ctx.sup.update(epic.id, {"branch": branch}, actor=ACTOR)
    move(ctx, child.id, TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING, TaskStatus.DONE)
    assert ctx.sup.get(epic.id).status == TaskStatus.VERIFYING  # the store completed it: every child landed
    move(ctx, epic.id, TaskStatus.AWAITING_APPROVAL)
    return EpicAtGate(ctx.sup.get(epic.id), ctx.sup.get(child.id), commit)


def spending(ctx: AppContext) -> None:
    """Ledger entries over the last two weeks for two providers and models, and one parked provider."""
    ledger = ctx.quota().ledger
    now = utcnow()
    for day in range(14):
        for provider, model, cost in (("claude", "claude-sonnet-4-5", 0.0), ("deepseek", "deepseek-chat", 0.35 + day * 0.05)):
            ledger.record(UsageEntry(id=new_usage_id(), at=now - timedelta(days=day, minutes=5), provider=provider, model=model,
                                     profile=provider, runs=1, requests=3, tokens_in=12_000 + day * 100, tokens_out=1_500,
                                     cost_usd=cost, settled=True))
    for provider, runs in (("claude", 30), ("glm", 176)):  # this window: claude past 60 %, glm into its reserve
        ledger.record(UsageEntry(id=new_usage_id(), at=now - timedelta(minutes=40), provider=provider, model=provider, profile=provider,
                                 runs=runs, requests=runs, settled=True))
    ledger.park("glm", now + timedelta(hours=2), "rate limited: the provider answered 429", actor=ACTOR)


FOUND = (Issue("SEC-001", Severity.CRITICAL, "SECRET_EXPOSURE", "settings.py", 3, "AWS access key id in the added lines", "secrets",
               "aws-access-key"),
         Issue("LINT-001", Severity.MEDIUM, "LINT", "calc.py", 7, "line too long (131 > 120)", "static", "E501"))


def audit_report(ctx: AppContext, commit: str, *, passed: bool = False) -> Path:
    """A report where the auditor writes them: FAIL with a CRITICAL secret and a MEDIUM lint issue, or a clean PASS."""
    issues = () if passed else FOUND
    report = AuditReport(timestamp=utcnow().isoformat(), commit_hash=commit, status="PASS" if passed else "FAIL",
                         metrics={"coverage": 91.0 if passed else 87.5, "test_pass_rate": 1.0, "security_score": "A" if passed else "F"},
                         issues=issues, stages=STAGES[1:4], commits=(commit,))
    path = ctx.root / STATE_DIR / "audit" / f"report_{commit}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict()))
    return path
