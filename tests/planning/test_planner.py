"""The planner against the scripted model server through the routed gateway and LiteLLM: a good plan is stored as an epic of
held phases with estimates; a malformed or truncated one is retried once with the validation error; twice wrong, or over the
budget, nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from overseer.domain import DepType, Task, TaskStatus, ValidationError
from overseer.domain.errors import PlanError
from overseer.planning import load_plan, phase_hold
from overseer.ports import TaskQuery
from tests.planning.conftest import Planning
from tests.planning.plans import BAD_ENUM, TRUNCATED, text

REQUEST = "Add mul and sub to calc.py, with docs"


def blocks(p: Planning, task: Task) -> set[str]:
    return {d.depends_on for d in p.sup.store.dependencies(task.id) if d.task_id == task.id and d.type == DepType.BLOCKS.value}


def parent(p: Planning, task: Task) -> str:
    [dep] = [d for d in p.sup.store.dependencies(task.id) if d.task_id == task.id and d.type == DepType.PARENT_CHILD.value]
    return dep.depends_on


def test_a_good_plan_is_stored_as_an_epic_of_held_phases_with_dependencies_and_estimates(planning: Planning) -> None:
    p = planning
    p.replies(text())
    outcome = p.planner().plan(REQUEST)
    assert outcome.stored is not None and outcome.draft.attempts == 1 and not outcome.over_budget
    [request] = p.asked()
    assert REQUEST in request and "# Codebase review" in request and "pytest (pyproject.toml" in request

    epic = p.sup.get(outcome.stored.epic.id)
    assert epic.is_epic and epic.hold is None and epic.labels == ("plan",) and epic.title == f"Plan: {REQUEST}"
    assert REQUEST in epic.body and "## Codebase review" in epic.body and "## Estimate" in epic.body
    one, two = (p.sup.get(x.id) for x in outcome.stored.phases)
    assert [one.title, two.title] == ["Phase 1: Multiplication", "Phase 2: Subtraction"]
    for n, phase in ((1, one), (2, two)):
        assert phase.is_epic and phase.gates == ("start",) and phase.hold == phase_hold(n, phase.id)
        assert parent(p, phase) == epic.id
    assert blocks(p, two) == {one.id}  # phase 2 starts from phase 1's merged work

    tasks = {t.title: t for t in p.sup.list_tasks(TaskQuery()) if not t.is_epic}
    assert set(tasks) == {"Add mul", "Test mul", "Add sub", "Document the calculator"}
    mul, mul_tests, sub, docs = (tasks[x] for x in ("Add mul", "Test mul", "Add sub", "Document the calculator"))
    assert {parent(p, t) for t in (mul, mul_tests)} == {one.id} and {parent(p, t) for t in (sub, docs)} == {two.id}
    assert (mul.hold, sub.hold) == (one.hold, two.hold) and all(t.status == TaskStatus.OPEN for t in tasks.values())
    assert mul.acceptance == ("mul(2, 3) == 6",) and mul.file_hints == ("calc.py",) and mul.body.startswith("Add mul(a, b) to calc.py.")
    assert (mul_tests.work_type.value, mul_tests.complexity.value) == ("verification", "medium")
    assert blocks(p, mul) == set() and blocks(p, mul_tests) == {mul.id}
    assert blocks(p, sub) == {mul.id, mul_tests.id} and blocks(p, docs) == {mul_tests.id}  # phase 2's first tasks wait for phase 1's last
    assert p.sup.ready() == []  # everything waits for approval

    est = outcome.draft.estimate
    assert [t.profile for ph in est.phases for t in ph.tasks] == ["coder", "coder", "big", "coder"]
    assert [t.cost_usd for t in est.phases[0].tasks] == [pytest.approx(0.036), pytest.approx(0.108)]  # 20k/4k and 60k/12k tokens
    assert est.phases[1].tasks[0].cost_usd == pytest.approx(2.7)  # complex: 150k/30k on the dearer model
    assert (est.phases[0].minutes, est.phases[1].minutes, est.minutes) == (35, 60, 95)  # critical paths: 10+25, 60
    assert est.billed_usd == pytest.approx(2.88) and est.unpriced == 0
    assert mul.extra["plan_task"]["estimate"]["profile"] == "coder" and one.extra["plan_phase"]["estimate"]["minutes"] == 35
    assert p.sup.events(limit=10_000)[-1].kind == "plan.stored"

    view = load_plan(p.sup, two.id)  # a phase finds its plan
    assert view.epic.id == epic.id and [ph.gate for ph in view.phases] == ["waiting", "waiting"]
    assert view.dict()["request"] == REQUEST and [t["key"] for t in view.dict()["phases"][1]["tasks"]] == ["sub", "docs"]  # type: ignore[index]


def test_a_malformed_plan_is_retried_once_with_the_validation_error(planning: Planning) -> None:
    p = planning
    p.replies(text(BAD_ENUM), text())
    outcome = p.planner().plan(REQUEST)
    assert outcome.stored is not None and outcome.draft.attempts == 2
    first, second = p.asked()
    assert REQUEST in first
    assert "phases[1].tasks[0].complexity" in second and "'huge'" in second and "refused" in second
    retry = p.models.requests_to("/v1/chat/completions")[1].body["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"] and retry[2]["content"] == text(BAD_ENUM)


def assert_nothing_stored(p: Planning, before: tuple[int, int]) -> None:
    assert p.state() == before
    assert p.sup.list_tasks(TaskQuery(include_deleted=True)) == []


@pytest.mark.parametrize(("first", "second", "error"), [
    (text(BAD_ENUM), text(BAD_ENUM), "phases[1].tasks[0].complexity: "),
    (TRUNCATED, TRUNCATED, "reply: not valid JSON ("),
    ("Sure! First, multiply.", text({"phases": []}), "phases: "),
])
def test_a_plan_wrong_twice_is_reported_and_nothing_is_stored(planning: Planning, first: str, second: str, error: str) -> None:
    p = planning
    before = p.state()
    p.replies(first, second)
    with pytest.raises(PlanError) as caught:
        p.planner().plan(REQUEST)
    assert caught.value.errors[0].startswith(error) and error in str(caught.value) and "nothing was stored" in str(caught.value)
    assert len(p.asked()) == 2
    assert_nothing_stored(p, before)


def test_a_truncated_plan_is_retried_like_a_malformed_one(planning: Planning) -> None:
    p = planning
    p.replies(TRUNCATED, text())
    outcome = p.planner().plan(REQUEST)
    assert outcome.stored is not None and outcome.draft.attempts == 2
    assert "not valid JSON" in p.asked()[1] and "cut off" in p.asked()[1]


def test_an_over_budget_plan_is_reported_with_its_estimate_and_stored_only_with_force(planning: Planning) -> None:
    p = planning
    p.configure(max_cost_usd=1.0)
    before = p.state()
    p.replies(text(), text())
    outcome = p.planner().plan(REQUEST)
    assert outcome.stored is None and outcome.over_budget and outcome.limit_usd == 1.0
    assert outcome.dict()["estimate"]["billed_usd"] == pytest.approx(2.88)  # type: ignore[index]
    assert_nothing_stored(p, before)

    assert p.planner().plan(REQUEST, budget=5.0).stored is not None  # --budget overrides planning.max_cost_usd
    p.replies(text())
    forced = p.planner().plan(REQUEST, force=True)
    assert forced.stored is not None and forced.over_budget


def test_subscription_and_local_providers_are_priced_but_not_billed(planning: Planning) -> None:
    p = planning
    p.configure(paid="subscription", max_cost_usd=0.01)
    p.replies(text())
    outcome = p.planner().plan(REQUEST)
    assert outcome.stored is not None
    assert outcome.draft.estimate.cost_usd == pytest.approx(2.88) and outcome.draft.estimate.billed_usd == 0


def test_the_routing_mode_changes_the_estimate(planning: Planning) -> None:
    p = planning
    p.replies(text())
    draft = p.planner(mode="max").draft(REQUEST)  # max routes every task as if two steps harder: all on the dearer model
    assert {t.profile for ph in draft.estimate.phases for t in ph.tasks} == {"big"}
    assert p.sup.list_tasks(TaskQuery(include_deleted=True)) == []  # a draft stores nothing


def test_a_failure_while_storing_deletes_everything_already_written(planning: Planning, monkeypatch: pytest.MonkeyPatch) -> None:
    p = planning
    p.replies(text())
    add, calls = p.sup.store.add_task, []

    def failing(task: Task, *args: Any, **kwargs: Any) -> Task:
        calls.append(task.title)
        if len(calls) == 5:
            raise OSError("disk full")
        return add(task, *args, **kwargs)

    monkeypatch.setattr(p.sup.store, "add_task", failing)
    with pytest.raises(OSError, match="disk full"):
        p.planner().plan(REQUEST)
    written = p.sup.list_tasks(TaskQuery(include_deleted=True))
    assert len(written) == 4 and {t.status for t in written} == {TaskStatus.DELETED}
    assert all(t.close_reason == "plan not stored: disk full" for t in written)
    assert p.sup.list_tasks(TaskQuery()) == [] and p.sup.ready() == []


def test_an_empty_request_is_refused_before_the_model_is_asked(planning: Planning) -> None:
    before = planning.state()
    with pytest.raises(ValidationError, match="request: is empty"):
        planning.planner().plan("   ")
    assert planning.asked() == [] and planning.state() == before
