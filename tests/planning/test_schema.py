"""A plan's schema and the checks beyond it: every problem named by its path in the JSON."""

from __future__ import annotations

import json

import pytest

from overseer.domain import Complexity, WorkType
from overseer.planning import PlanInvalid, check_plan, read_plan
from tests.planning.plans import BAD_ENUM, GOOD, TRUNCATED, changed, text


def problems(data: object) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        check_plan(data)
    return caught.value.problems


def test_a_good_plan_reads_with_defaults_and_resolved_dependencies() -> None:
    plan = read_plan(text())
    assert [p.title for p in plan.phases] == ["Multiplication", "Subtraction"]
    mul_tests = plan.phases[0].tasks[1]
    assert (mul_tests.complexity, mul_tests.work_type) == (Complexity.MEDIUM, WorkType.VERIFICATION)
    assert mul_tests.acceptance == ("pytest passes",)
    assert plan.phases[1].tasks[0].work_type == WorkType.IMPLEMENTATION  # the default
    assert plan.dependencies() == {(0, 0): (), (0, 1): ((0, 0),), (1, 0): ((0, 0),), (1, 1): ()}


def test_a_bad_enum_value_is_named_by_its_path() -> None:
    [problem] = problems(BAD_ENUM)
    assert problem.startswith("phases[1].tasks[0].complexity: ") and "'huge'" in problem and "simple" in problem


def test_a_missing_title_and_an_empty_phase_list_are_named() -> None:
    assert problems(changed(("phases", 0, "tasks", 1, "title"), "")) == [
        "phases[0].tasks[1].title: String should have at least 1 character (got '')"]
    assert problems({"summary": "x", "phases": []})[0].startswith("phases: ")
    assert problems(changed(("phases", 0, "tasks"), []))[0].startswith("phases[0].tasks: ")
    assert problems({"summary": "no phases key"}) == ["phases: required"]


def test_an_unknown_dependency_is_named_with_the_tasks_there_are() -> None:
    [problem] = problems(changed(("phases", 1, "tasks", 1, "depends_on"), ["mull"]))
    assert problem.startswith("phases[1].tasks[1].depends_on[0]: no task is named 'mull'") and "'mul-tests'" in problem


def test_a_dependency_on_a_later_phase_is_refused() -> None:
    [problem] = problems(changed(("phases", 0, "tasks", 0, "depends_on"), ["docs"]))
    assert problem.startswith("phases[0].tasks[0].depends_on[0]: 'docs' is in phase 2") and "earlier phase" in problem


def test_a_cycle_is_refused_with_its_path() -> None:
    plan = changed(("phases", 0, "tasks", 0, "depends_on"), ["mul-tests"])
    [problem] = problems(plan)
    assert "cycle" in problem and "'mul' -> 'mul-tests' -> 'mul'" in problem and problem.startswith("phases[0].tasks[")


def test_a_task_depending_on_itself_and_duplicate_keys_are_refused() -> None:
    assert problems(changed(("phases", 1, "tasks", 1, "depends_on"), ["docs"])) == [
        "phases[1].tasks[1].depends_on[0]: a task cannot depend on itself"]
    [dup] = problems(changed(("phases", 1, "tasks", 1, "key"), "mul"))
    assert dup.startswith("phases[1].tasks[1].key: 'mul' also names phases[0].tasks[0]")


def test_a_task_without_a_key_is_named_by_its_title() -> None:
    plan = changed(("phases", 1, "tasks", 1, "depends_on"), ["Add sub"])
    del plan["phases"][1]["tasks"][0]["key"]
    assert check_plan(plan).dependencies()[(1, 1)] == ((1, 0),)


def test_a_fenced_reply_and_one_wrapped_in_prose_read_and_unknown_fields_are_ignored() -> None:
    assert len(read_plan(f"Here you go:\n```json\n{json.dumps(GOOD, indent=2)}\n```\nGood luck!").phases) == 2
    extra = changed(("phases", 0, "risk"), "low")
    assert len(read_plan(f"My plan {{for you}}: {json.dumps(extra)} — done").phases) == 2


@pytest.mark.parametrize(("reply", "expected"), [
    ("", "reply: the reply is empty"),
    ("I would start with multiplication.", 'reply: no JSON object with "phases"'),
    (TRUNCATED, "reply: not valid JSON ("),
    (f"```json\n{TRUNCATED}", "reply: not valid JSON ("),
])
def test_replies_that_are_no_plan_say_why(reply: str, expected: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        read_plan(reply)
    assert caught.value.problems[0].startswith(expected)
