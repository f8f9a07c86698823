"""The issue's end-to-end case: `overseer run --once` on an epic of dependent tasks lands every verified commit on the
epic's integration branch, a failing task is retried with feedback and then escalated, a person is notified, and the
base branch does not move until `overseer approve`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from typer.testing import CliRunner

from overseer.bootstrap import open_runner, run_store
from overseer.cli.app import app
from overseer.domain import TaskKind, TaskStatus
from overseer.domain.verification import StageStatus, Verdict
from overseer.service import NewTask
from tests.gate.conftest import CALC, Project, attempts, git

MUL = CALC + "\n\ndef mul(a, b):\n    return a * b\n"
SUB = MUL + "\n\ndef sub(a, b):\n    return a - b\n"
TEST_MUL = "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
TEST_SUB = "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"
BROKEN = "def add(a, b):\n    return a - b\n"


def run_once(p: Project) -> None:
    asyncio.run(open_runner(p.sup, worker="test").run(once=True))


def cli(p: Project, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, [*args, "--json", "-C", str(p.repo)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_an_epic_lands_verified_a_failing_task_is_retried_then_escalated_and_main_waits_for_approval(
    project: Callable[..., Project],
) -> None:
    p = project()
    main_before = p.head("main")
    epic = p.sup.create_task(NewTask(title="Calculator operations", kind=TaskKind.EPIC.value), actor="t")
    mul = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL, "tests/test_mul.py": TEST_MUL}), parent=epic.id),
                            actor="t")
    sub = p.sup.create_task(NewTask(title="Add sub", body=attempts({"calc.py": SUB, "tests/test_sub.py": TEST_SUB}), parent=epic.id,
                                    blocked_by=(mul.id,)), actor="t")
    broken = p.sup.create_task(NewTask(title="Tidy add", body=attempts({"calc.py": BROKEN}), max_attempts=2), actor="t")

    run_once(p)

    branch = f"overseer/epic/{epic.id}"
    runs = run_store(p.sup)
    for task in (mul, sub):
        assert p.sup.get(task.id).status == TaskStatus.DONE
        [run] = runs.list_runs(task_id=task.id)
        assert run.verdict == Verdict.APPROVED, [f.to_dict() for s in run.stages for f in s.findings]
        assert run.target == branch and run.landed_commit
        assert [s.stage for s in run.stages] == ["diff", "static", "secrets", "tests", "review"]
        assert {s.stage: s.status for s in run.stages}["tests"] == StageStatus.PASSED
        assert git(p.repo, "merge-base", "--is-ancestor", run.head_commit or "", branch) == ""  # the verified commit is on it
    assert {"tests/test_mul.py", "tests/test_sub.py"} <= p.files(branch)
    [sub_run] = runs.list_runs(task_id=sub.id)
    [mul_run] = runs.list_runs(task_id=mul.id)
    assert git(p.repo, "merge-base", "--is-ancestor", mul_run.landed_commit or "", sub_run.base_commit or "") == ""  # sub began after mul

    # the failing task: tests fail, retried with the failure as feedback, then escalated
    task = p.sup.get(broken.id)
    assert task.status == TaskStatus.ESCALATED and task.attempts == 2
    first, second = sorted(runs.list_runs(task_id=broken.id), key=lambda r: r.attempt)
    assert first.verdict == second.verdict == Verdict.NEEDS_CHANGES
    assert {s.stage: s.status for s in first.stages}["tests"] == StageStatus.FAILED
    assert {s.stage: s.status for s in first.stages}["review"] == StageStatus.SKIPPED  # stopped at the first blocking failure
    feedback = p.prompt(broken.id, 2).split("## Feedback from earlier attempts")[1]
    assert "test_add" in feedback and "needs_changes" in feedback
    assert git(p.repo, "show", "overseer/integration/main:calc.py") == CALC  # nothing of it landed

    # the epic waits at the gate; main has not moved; people were told
    assert p.sup.get(epic.id).status == TaskStatus.AWAITING_APPROVAL
    assert p.head("main") == main_before
    titles = [post.json["title"] for post in p.hook.wait_for(2)]
    assert any(t.startswith(f"{broken.id} escalated") for t in titles)
    assert any(t.startswith(f"Epic {epic.id} ready for approval") for t in titles)
    pending = cli(p, "approvals")
    assert [(a["id"], a["kind"]) for a in pending] == [(epic.id, "epic")]  # type: ignore[index]

    outcome = cli(p, "approve", epic.id, "--note", "ship it")
    assert outcome["action"] == "merged"
    p.reopen()
    assert p.sup.get(epic.id).status == TaskStatus.DONE
    assert p.head("main") != main_before and {"tests/test_mul.py", "tests/test_sub.py"} <= p.files("main")
    assert (p.repo / "tests" / "test_sub.py").exists()  # the checked-out base branch was fast-forwarded, clean
    assert git(p.repo, "status", "--porcelain", "--untracked-files=no") == ""
    shown = CliRunner().invoke(app, ["show", sub_run.id, "-C", str(p.repo)])
    assert shown.exit_code == 0 and "verification" in shown.stdout and "PASSED" in shown.stdout and "approved" in shown.stdout
