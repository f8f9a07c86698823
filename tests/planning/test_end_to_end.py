"""The issue's end-to-end case: a request is planned (the scripted model answers), phase 1 is approved, the supervisor runs
it with the scripted agent through real verification and landing, and phase 2 still waits for its approval."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from overseer.bootstrap import open_approvals, open_planner, open_runner, run_store
from overseer.domain import TaskStatus
from overseer.domain.verification import Verdict
from overseer.modelserver import Text
from overseer.ports import TaskQuery
from tests.gate.conftest import APPROVED, CALC, Project, attempts, git

MUL = CALC + "\n\ndef mul(a, b):\n    return a * b\n"
SUB = MUL + "\n\ndef sub(a, b):\n    return a - b\n"
TEST_MUL = "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
TEST_SUB = "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"

PLAN = {"summary": "mul, then sub", "phases": [
    {"title": "Multiplication", "goal": "mul(a, b) works", "tasks": [
        {"key": "mul", "title": "Add mul", "complexity": "simple", "acceptance": ["mul(2, 3) == 6"], "file_hints": ["calc.py"],
         "description": attempts({"calc.py": MUL, "tests/test_mul.py": TEST_MUL})}]},
    {"title": "Subtraction", "goal": "sub(a, b) works", "tasks": [
        {"key": "sub", "title": "Add sub", "complexity": "simple", "depends_on": ["mul"],
         "description": attempts({"calc.py": SUB, "tests/test_sub.py": TEST_SUB})}]},
]}


def with_planner(p: Project) -> None:
    """The gate's project, plus a planning profile on the scripted model server; plan first, then every review approves."""
    config = json.loads((p.repo / "overseer.yaml").read_text())
    reviewer = config["profiles"]["reviewer"]
    options = {**reviewer["options"], "litellm_model": "openai/plan-model"}
    config["profiles"]["planner"] = {**reviewer, "model": "plan-model", "options": options}
    config["routing"]["rules"].insert(0, {"when": {"work_type": "planning"}, "chain": ["planner"]})
    (p.repo / "overseer.yaml").write_text(json.dumps(config))
    p.models.script.add(Text(json.dumps(PLAN)))
    p.models.script.add(Text(APPROVED), times=None)
    p.reopen()


def test_plan_approve_phase_one_run_it_lands_and_phase_two_still_waits(project: Callable[..., Project]) -> None:
    p = project(review=None)
    with_planner(p)
    main_before = p.head("main")
    outcome = open_planner(p.sup).plan("Add mul, then sub, to calc.py")
    assert outcome.stored is not None
    one, two = outcome.stored.phases
    [mul] = p.sup.list_tasks(TaskQuery(parent=one.id))
    [sub] = p.sup.list_tasks(TaskQuery(parent=two.id))

    asyncio.run(open_runner(p.sup, worker="test").run(once=True))
    assert p.sup.get(mul.id).status == TaskStatus.OPEN and run_store(p.sup).list_runs(task_id=mul.id) == []  # held: nothing ran

    assert open_approvals(p.sup, actor="t").approve(one.id).action == "released"
    asyncio.run(open_runner(p.sup, worker="test").run(once=True))

    done = p.sup.get(mul.id)
    assert done.status == TaskStatus.DONE
    [run] = run_store(p.sup).list_runs(task_id=mul.id)
    assert run.verdict == Verdict.APPROVED and run.landed_commit and run.target == f"overseer/epic/{one.id}"
    assert git(p.repo, "show", f"{run.target}:calc.py") == MUL and "tests/test_mul.py" in p.files(run.target)
    assert p.sup.get(one.id).status == TaskStatus.AWAITING_APPROVAL  # phase 1 landed on its branch; merging it waits for a person

    waiting, phase_two = p.sup.get(sub.id), p.sup.get(two.id)
    assert waiting.status == TaskStatus.OPEN and phase_two.hold is not None and waiting.hold == phase_two.hold
    assert run_store(p.sup).list_runs(task_id=sub.id) == [] and p.sup.ready() == []
    assert p.head("main") == main_before


def test_phase_two_starts_only_once_phase_one_merged_into_the_plan_branch_and_builds_on_it(project: Callable[..., Project]) -> None:
    p = project(review=None)
    with_planner(p)
    outcome = open_planner(p.sup).plan("Add mul, then sub, to calc.py")
    assert outcome.stored is not None
    plan, (one, two) = outcome.stored.epic, outcome.stored.phases
    [sub] = p.sup.list_tasks(TaskQuery(parent=two.id))
    approvals = open_approvals(p.sup, actor="t")
    approvals.approve(one.id)
    asyncio.run(open_runner(p.sup, worker="test").run(once=True))

    assert approvals.approve(two.id).action == "released"
    assert p.sup.ready() == [] and p.sup.store.is_blocked(sub.id)  # phase 1 has landed but not merged into the plan's branch
    assert approvals.approve(one.id).action == "merged"
    assert git(p.repo, "show", f"overseer/epic/{plan.id}:calc.py") == MUL
    assert [t.id for t in p.sup.ready()] == [sub.id]

    asyncio.run(open_runner(p.sup, worker="test").run(once=True))
    assert p.sup.get(sub.id).status == TaskStatus.DONE
    [run] = run_store(p.sup).list_runs(task_id=sub.id)
    assert run.target == f"overseer/epic/{two.id}" and git(p.repo, "show", f"{run.target}:calc.py") == SUB
    assert {"tests/test_mul.py", "tests/test_sub.py"} <= p.files(run.target)  # it started from phase 1's work
