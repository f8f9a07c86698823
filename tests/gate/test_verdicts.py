"""What the gate does with each kind of finished run, on real repositories with real pytest suites."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from overseer.bootstrap import open_approvals, open_runner, run_store
from overseer.domain import TaskKind, TaskStatus
from overseer.domain.verification import StageStatus, Verdict
from overseer.service import NewTask
from tests.gate.conftest import CALC, Project, attempts, git

MUL = CALC + "\n\ndef mul(a, b):\n    return a * b\n"


def run_once(p: Project) -> None:
    asyncio.run(open_runner(p.sup, worker="test").run(once=True))


def stages(p: Project, task_id: str, attempt: int = 1) -> dict[str, StageStatus]:
    run = next(r for r in run_store(p.sup).list_runs(task_id=task_id) if r.attempt == attempt)
    return {s.stage: s.status for s in run.stages}


def test_a_run_that_passes_its_tests_but_adds_an_aws_key_is_blocked_and_nothing_lands(project: Callable[..., Project]) -> None:
    p = project()
    key = "AKIA" + "QX7RZ3NVB2KD5LTY"
    task = p.sup.create_task(NewTask(title="Add config", body=attempts({"settings.py": f'AWS_KEY = "{key}"\n'}), max_attempts=1),
                             actor="t")
    run_once(p)
    assert p.sup.get(task.id).status == TaskStatus.ESCALATED
    [run] = run_store(p.sup).list_runs(task_id=task.id)
    assert run.verdict == Verdict.NEEDS_CHANGES and run.landed_commit is None
    assert stages(p, task.id)["secrets"] == StageStatus.FAILED and stages(p, task.id)["tests"] == StageStatus.SKIPPED
    [finding] = [f for s in run.stages for f in s.findings if f.type == "SECRET_EXPOSURE"][:1]
    assert finding.file == "settings.py" and finding.line == 1 and key not in json.dumps(run.stages[2].to_dict())
    assert "settings.py" not in p.files("overseer/integration/main")


def test_a_hung_test_suite_is_killed_and_reported_as_timeout(project: Callable[..., Project]) -> None:
    p = project(verify={"tests": {"command": "python -m pytest -q -p no:cacheprovider", "timeout_seconds": 3}})
    hang = "import time\n\n\ndef test_hangs():\n    time.sleep(120)\n"
    task = p.sup.create_task(NewTask(title="Slow test", body=attempts({"tests/test_slow.py": hang}), max_attempts=1), actor="t")
    run_once(p)
    [run] = run_store(p.sup).list_runs(task_id=task.id)
    tests = next(s for s in run.stages if s.stage == "tests")
    assert tests.status == StageStatus.TIMEOUT and tests.duration_s < 30
    assert run.verdict == Verdict.NEEDS_CHANGES and p.sup.get(task.id).status == TaskStatus.ESCALATED


def test_a_flaky_test_fails_one_attempt_and_the_retry_lands(project: Callable[..., Project], tmp_path: Path) -> None:
    p = project()
    marker = tmp_path / "flaky-ran-once"
    flaky = (f"from pathlib import Path\n\nMARK = Path({str(marker)!r})\n\n\ndef test_flaky():\n"
             "    first = not MARK.exists()\n    MARK.touch()\n    assert not first, 'fails the first time only'\n")
    task = p.sup.create_task(NewTask(title="Flaky", body=attempts({"tests/test_flaky.py": flaky})), actor="t")
    run_once(p)
    assert stages(p, task.id, 1)["tests"] == StageStatus.FAILED
    assert stages(p, task.id, 2)["tests"] == StageStatus.PASSED
    assert p.sup.get(task.id).status == TaskStatus.DONE and "tests/test_flaky.py" in p.files("overseer/integration/main")
    feedback = p.prompt(task.id, 2).split("## Feedback from earlier attempts")[1]
    assert "test_flaky" in feedback and "[HIGH]" in feedback


def test_two_tasks_whose_changes_conflict_land_one_after_the_other_via_feedback(project: Callable[..., Project]) -> None:
    p = project()
    a = p.sup.create_task(NewTask(title="Double add", body=attempts({"calc.py": "def add(a, b):\n    return (a + b) * 1\n"})), actor="t")
    b = p.sup.create_task(NewTask(title="Typed add", body=attempts({"calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n"})),
                          actor="t")
    run_once(p)
    assert p.sup.get(a.id).status == p.sup.get(b.id).status == TaskStatus.DONE
    runs = run_store(p.sup).list_runs()
    conflicted = [r for r in runs if any(s.stage == "merge" for s in r.stages)]
    assert len(conflicted) == 1 and conflicted[0].verdict == Verdict.NEEDS_CHANGES
    merge = next(s for s in conflicted[0].stages if s.stage == "merge")
    assert [f.file for f in merge.findings] == ["calc.py"]
    again = p.prompt(conflicted[0].task_id, 2)
    assert "MERGE_CONFLICT" in again or "conflicts with" in again
    assert len([r for r in runs if r.landed_commit]) == 2


def test_a_review_reply_that_cannot_be_parsed_is_never_a_pass_and_a_person_is_asked(project: Callable[..., Project]) -> None:
    p = project(review="Sure! The change looks great to me :)")
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL})), actor="t")
    run_once(p)
    [run] = run_store(p.sup).list_runs(task_id=task.id)
    assert stages(p, task.id)["review"] == StageStatus.ERROR and run.verdict == Verdict.NEEDS_GUIDANCE
    assert p.sup.get(task.id).status == TaskStatus.AWAITING_APPROVAL and run.landed_commit is None
    [post] = p.hook.wait_for(1)
    assert post.json["title"].startswith(f"{task.id} waits for a person")
    outcome = open_approvals(p.sup, actor="alice").approve(task.id, note="reviewed by hand")
    assert outcome.action == "landed" and p.sup.get(task.id).status == TaskStatus.DONE
    assert git(p.repo, "show", "overseer/integration/main:calc.py") == MUL


def test_a_land_gate_holds_verified_work_and_a_rejection_becomes_the_next_attempts_feedback(project: Callable[..., Project]) -> None:
    p = project()
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL}), gates=("land",)), actor="t")
    run_once(p)
    assert p.sup.get(task.id).status == TaskStatus.AWAITING_APPROVAL
    approvals = open_approvals(p.sup, actor="alice")
    assert [(a.task.id, a.kind) for a in approvals.pending()] == [(task.id, "land")]
    approvals.reject(task.id, reason="name it multiply, not mul")
    assert p.sup.get(task.id).status == TaskStatus.OPEN
    run_once(p)
    assert "name it multiply, not mul" in p.prompt(task.id, 2)
    assert p.sup.get(task.id).status == TaskStatus.AWAITING_APPROVAL
    assert open_approvals(p.sup, actor="alice").approve(task.id).action == "landed"
    assert p.sup.get(task.id).status == TaskStatus.DONE


def test_a_start_gate_keeps_a_task_from_running_until_it_is_approved(project: Callable[..., Project]) -> None:
    p = project()
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL}), gates=("start",)), actor="t")
    run_once(p)
    assert run_store(p.sup).list_runs(task_id=task.id) == []
    approvals = open_approvals(p.sup, actor="alice")
    assert [(a.task.id, a.kind) for a in approvals.pending()] == [(task.id, "start")]
    assert approvals.approve(task.id).action == "released"
    run_once(p)
    assert p.sup.get(task.id).status == TaskStatus.DONE


def test_an_epic_configured_to_merge_by_itself_moves_the_base_branch_after_its_review(project: Callable[..., Project]) -> None:
    p = project(landing={"epic_approval": False})
    epic = p.sup.create_task(NewTask(title="Ops", kind=TaskKind.EPIC.value), actor="t")
    p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL}), parent=epic.id), actor="t")
    run_once(p)
    assert p.sup.get(epic.id).status == TaskStatus.DONE
    assert git(p.repo, "show", "main:calc.py") == MUL and (p.repo / "calc.py").read_text() == MUL
    assert any(e.kind == "epic.reviewed" for e in p.sup.events(task_id=epic.id, limit=100))


def test_when_the_target_moved_since_a_run_began_its_merge_is_tested_again_before_it_lands(project: Callable[..., Project]) -> None:
    p = project()
    a = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL})), actor="t")
    b = p.sup.create_task(NewTask(title="Add docs", body=attempts({"docs/calc.md": "add and mul\n"})), actor="t")
    run_once(p)  # both start from the same head; whichever lands second finds the target moved
    assert p.sup.get(a.id).status == p.sup.get(b.id).status == TaskStatus.DONE
    landings = [e.data for e in p.sup.events(limit=1000) if e.kind == "land.result"]
    assert [d["moved"] for d in landings] == [False, True]
    assert landings[1]["retest"]["stage"] == "tests" and landings[1]["retest"]["status"] == "passed"
    assert {"calc.py", "docs/calc.md"} <= p.files("overseer/integration/main")


def test_landing_approve_each_holds_every_verified_task_for_a_person(project: Callable[..., Project]) -> None:
    p = project(landing={"approve_each": True})
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL})), actor="t")
    run_once(p)
    assert p.sup.get(task.id).status == TaskStatus.AWAITING_APPROVAL
    assert [(a.task.id, a.kind) for a in open_approvals(p.sup, actor="alice").pending()] == [(task.id, "land")]
    assert git(p.repo, "show", "overseer/integration/main:calc.py") == CALC
