"""``/api/v1/plans`` over a real project whose planning model is the scripted model server (through the routed gateway and
LiteLLM, priced from LiteLLM's bundled map): planning a request, the refusals that store nothing, showing, listing,
queueing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from overseer.api import ApiSettings, AppContext, Auth, create_app
from overseer.domain import TaskStatus
from overseer.service import NewTask
from tests.api.conftest import TOKEN, Api
from tests.planning.conftest import Planning, planning  # noqa: F401 - the scripted planning model's fixture
from tests.planning.plans import BAD_ENUM, text


@pytest.fixture
def plans(planning: Planning) -> Iterator[tuple[Api, Planning]]:  # noqa: F811 - the fixture imported above
    auth = Auth(TOKEN)
    ctx = AppContext(planning.sup, auth, ApiSettings(sse_heartbeat_seconds=1.0))
    with TestClient(create_app(planning.sup, auth, ctx.settings, ctx=ctx)) as client:
        yield Api(client, planning.sup, ctx, planning.repo), planning


def post(api: Api, path: str, body: Any) -> Any:
    return api.client.post(f"/api/v1{path}", json=body, headers=api.auth)


def test_posting_a_request_plans_it_and_stores_every_phase_waiting_for_approval(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    p.replies(text())
    r = post(api, "/plans", {"request": "Add mul and sub to calc.py", "mode": "frugal"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["location"] == f"/api/v1/plans/{made['id']}"
    assert made["request"] == "Add mul and sub to calc.py" and made["mode"] == "frugal" and made["status"] == "open"
    assert made["outcome"]["attempts"] == 1 and made["outcome"]["over_budget"] is False
    assert made["outcome"]["model"]["profile"] == "planner"
    assert [ph["gate"] for ph in made["phases"]] == ["waiting", "waiting"]
    one, two = made["phases"]
    assert [t["title"] for t in one["tasks"]] == ["Add mul", "Test mul"] and one["tasks"][1]["blocked_by"] == [one["tasks"][0]["id"]]
    assert all(t["held"] for t in one["tasks"] + two["tasks"])
    assert one["tasks"][0]["estimate"]["model"] == "gpt-4o-mini"
    assert two["tasks"][0]["complexity"] == "complex" and two["tasks"][0]["estimate"]["profile"] == "coder"  # frugal: a step down
    assert made["estimate"]["billed_usd"] > 0 and made["review"]["tests"] == ["pytest (pyproject.toml [tool.pytest.ini_options])"]
    assert "Add mul and sub to calc.py" in p.asked()[0]  # the model really was asked, once

    shown = api.client.get(f"/api/v1/plans/{made['id']}").json()
    assert shown == {k: v for k, v in made.items() if k != "outcome"}
    assert api.client.get(f"/api/v1/plans/{two['id']}").json()["id"] == made["id"]  # a phase finds its plan
    listed = api.client.get("/api/v1/plans").json()
    assert listed["total"] == 1 and listed["next_offset"] is None
    assert {k: listed["plans"][0][k] for k in ("id", "phases", "waiting", "released", "rejected")} == \
        {"id": made["id"], "phases": 2, "waiting": 2, "released": 0, "rejected": 0}
    assert listed["plans"][0]["estimate"]["billed_usd"] == made["estimate"]["billed_usd"]


def test_a_plan_the_model_gets_wrong_twice_is_a_422_naming_each_problem_and_stores_nothing(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    p.replies(text(BAD_ENUM), text(BAD_ENUM))
    before = p.state()
    r = post(api, "/plans", {"request": "Add mul"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["error"] == "PlanError" and "failed validation twice" in body["detail"]
    assert body["errors"][0]["field"] == "phases[1].tasks[0].complexity" and "huge" in body["errors"][0]["message"]
    assert p.state() == before and len(p.asked()) == 2


def test_a_plan_over_the_budget_is_a_409_with_its_estimate_and_force_stores_it(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    p.replies(text(), text())
    before = p.state()
    r = post(api, "/plans", {"request": "Add mul", "budget_usd": 0.0001})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["error"] == "OverBudget" and body["field"] == "budget_usd" and body["limit_usd"] == 0.0001
    assert body["estimate"]["billed_usd"] > 0.0001 and len(body["estimate"]["phases"]) == 2
    assert [ph["title"] for ph in body["plan"]["phases"]] == ["Multiplication", "Subtraction"] and not body["plan"]["stored"]
    assert "force" in body["detail"] and p.state() == before

    forced = post(api, "/plans", {"request": "Add mul", "budget_usd": 0.0001, "force": True})
    assert forced.status_code == 201 and forced.json()["outcome"]["over_budget"] is True
    assert forced.json()["outcome"]["limit_usd"] == 0.0001


@pytest.mark.parametrize(("body", "field"), [
    ({"request": ""}, "request"),
    ({"request": "   "}, "request"),
    ({}, "request"),
    ({"request": "Add mul", "mode": "turbo"}, "mode"),
    ({"request": "Add mul", "budget_usd": -1}, "budget_usd"),
    ({"request": "Add mul", "colour": "red"}, "colour"),
])
def test_bad_input_is_a_422_naming_the_field_and_the_model_is_never_asked(plans: tuple[Api, Planning], body: Any,
                                                                          field: str) -> None:
    api, p = plans
    before = p.state()
    for path in ("/plans", "/plans/queue"):
        r = post(api, path, body)
        assert r.status_code == 422 and r.json()["field"] == field, (path, r.text)
    assert p.asked() == [] and p.state() == before


def test_an_unknown_id_or_a_task_that_is_no_plan_is_a_404_naming_it(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    plain = p.sup.create_task(NewTask(title="not a plan"), actor="test")
    for plan_id, words in (("ov-none", "no plan with id 'ov-none'"), (plain.id, f"{plain.id} is not a plan")):
        r = api.client.get(f"/api/v1/plans/{plan_id}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        assert words in r.json()["detail"]


def test_queueing_a_request_answers_202_and_the_queue_lists_it_without_asking_the_model(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    r = post(api, "/plans/queue", {"request": "Add sub", "mode": "max", "budget_usd": 5})
    assert r.status_code == 202
    entry = r.json()
    assert entry["id"].startswith("q-") and entry["status"] == "queued" and entry["mode"] == "max" and entry["budget"] == 5
    post(api, "/plans/queue", {"request": "Add div"})
    queue = api.client.get("/api/v1/plans/queue", params={"limit": 1}).json()
    assert queue["total"] == 2 and queue["next_offset"] == 1 and queue["queue"] == [entry]
    assert p.asked() == [] and p.sup.list_tasks() == []


def test_the_plan_list_is_newest_first_and_paged(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    p.replies(text(), text())
    first = post(api, "/plans", {"request": "Add mul"}).json()
    second = post(api, "/plans", {"request": "Add mul again"}).json()
    page = api.client.get("/api/v1/plans", params={"limit": 1}).json()
    assert [x["id"] for x in page["plans"]] == [second["id"]] and page["total"] == 2 and page["next_offset"] == 1
    rest = api.client.get("/api/v1/plans", params={"limit": 1, "offset": 1}).json()
    assert [x["id"] for x in rest["plans"]] == [first["id"]] and rest["next_offset"] is None
    too_big = api.client.get("/api/v1/plans", params={"limit": 10_000})
    assert too_big.status_code == 422 and too_big.json()["field"] == "limit"


def test_a_released_phase_shows_as_released_and_planning_needs_the_token(plans: tuple[Api, Planning]) -> None:
    api, p = plans
    p.replies(text())
    made = post(api, "/plans", {"request": "Add mul"}).json()
    one = made["phases"][0]["id"]
    assert post(api, f"/approvals/{one}/approve", {"note": "go"}).json()["action"] == "released"
    shown = api.client.get(f"/api/v1/plans/{made['id']}").json()
    assert [ph["gate"] for ph in shown["phases"]] == ["released", "waiting"]
    assert not any(t["held"] for t in shown["phases"][0]["tasks"]) and all(t["held"] for t in shown["phases"][1]["tasks"])
    assert api.client.get("/api/v1/plans").json()["plans"][0]["released"] == 1

    asked = len(p.asked())
    for path in ("/plans", "/plans/queue"):
        r = api.client.post(f"/api/v1{path}", json={"request": "Add sub"})
        assert r.status_code == 401
    assert len(p.asked()) == asked and p.sup.get(one).status == TaskStatus.OPEN
