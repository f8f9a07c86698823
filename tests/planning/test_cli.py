"""``overseer plan "REQUEST"``, ``plan show``, ``plan list``, ``--queue`` and ``plan run-queue`` through the real CLI (prices
from LiteLLM's bundled map)."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from overseer.cli.app import app
from overseer.ports import TaskQuery
from tests.planning.conftest import Planning
from tests.planning.plans import BAD_ENUM, text


def cli(p: Planning, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "-C", str(p.repo)])


def ok_json(p: Planning, *args: str) -> Any:
    result = cli(p, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_plan_request_stores_the_plan_and_plan_show_renders_it(planning: Planning) -> None:
    p = planning
    p.replies(text())
    made = ok_json(p, "plan", "Add mul and sub to calc.py")
    assert made["stored"] and made["id"].startswith("ov-") and len(made["phase_ids"]) == 2 and made["attempts"] == 1
    assert made["estimate"]["billed_usd"] > 0 and made["estimate"]["phases"][0]["tasks"][0]["model"] == "gpt-4o-mini"
    assert made["review"]["tests"] == ["pytest (pyproject.toml [tool.pytest.ini_options])"]

    shown = ok_json(p, "plan", "show", made["id"])
    assert [ph["gate"] for ph in shown["phases"]] == ["waiting", "waiting"]
    assert [t["title"] for t in shown["phases"][0]["tasks"]] == ["Add mul", "Test mul"]
    assert shown["phases"][0]["tasks"][1]["blocked_by"] == [shown["phases"][0]["tasks"][0]["id"]]

    tree = cli(p, "plan", "show", made["id"])
    assert tree.exit_code == 0, tree.output
    for words in ("Phase 1: Multiplication", "waiting for approval", "Add mul", "simple/implementation", "coder", "held"):
        assert words in tree.stdout
    listed = ok_json(p, "plan", "list")
    assert [x["id"] for x in listed["plans"]] == [made["id"]] and listed["plans"][0]["waiting"] == 2


def test_plan_without_json_prints_the_tree_and_how_to_approve(planning: Planning) -> None:
    p = planning
    p.replies(text())
    result = cli(p, "plan", "--mode", "frugal", "Add mul")
    assert result.exit_code == 0, result.output
    [plan] = p.sup.list_tasks(TaskQuery(label="plan"))
    phase = p.sup.list_tasks(TaskQuery(label="plan-phase"))[0]
    assert plan.id in result.stdout and f"overseer approve {phase.id}" in result.stdout
    assert plan.extra["plan"]["mode"] == "frugal"


def test_an_invalid_plan_fails_with_its_errors_and_stores_nothing(planning: Planning) -> None:
    p = planning
    p.replies(text(BAD_ENUM), text(BAD_ENUM))
    result = cli(p, "plan", "Add mul", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)["error"]
    assert error["type"] == "PlanError" and error["errors"][0].startswith("phases[1].tasks[0].complexity: ")
    assert p.sup.list_tasks(TaskQuery(include_deleted=True)) == []


def test_an_over_budget_plan_is_shown_not_stored_and_force_stores_it(planning: Planning) -> None:
    p = planning
    p.replies(text(), text())
    result = cli(p, "plan", "Add mul", "--budget", "0.0001")
    assert result.exit_code == 1 and "plan (not stored)" in result.stdout and "over the $0.0001 budget" in result.stderr
    assert p.sup.list_tasks(TaskQuery(include_deleted=True)) == []
    forced = ok_json(p, "plan", "Add mul", "--budget", "0.0001", "--force")
    assert forced["stored"] and forced["over_budget"] and forced["limit_usd"] == 0.0001


def test_queued_requests_are_planned_one_after_another_by_run_queue(planning: Planning) -> None:
    p = planning
    first = ok_json(p, "plan", "Add mul", "--queue")
    second = ok_json(p, "plan", "Add sub", "--queue", "--mode", "max")
    assert first["status"] == "queued" and p.sup.list_tasks(TaskQuery()) == [] and p.asked() == []
    p.replies(text(), "no plan", "still no plan")
    done = ok_json(p, "plan", "run-queue")
    assert [(d["id"], d["status"]) for d in done] == [(first["id"], "planned"), (second["id"], "failed")]
    assert done[0]["plan_id"].startswith("ov-") and "failed validation twice" in done[1]["error"]
    assert "Add mul" in p.asked()[0] and "Add sub" in p.asked()[1]
    listed = ok_json(p, "plan", "list")
    assert [q["status"] for q in listed["queue"]] == ["planned", "failed"] and len(listed["plans"]) == 1
    assert ok_json(p, "plan", "run-queue") == []  # nothing left queued
