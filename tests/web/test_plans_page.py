"""``/plans`` and ``/plans/ID`` without a browser, over a plan the scripted planning model really made: the tree of phases
and tasks with their routing and estimates, approving phase 1 with the no-script form (phase 2 stays held), one phase's
live region alone, 404 pages, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from overseer.api import ApiSettings, AppContext, Auth
from overseer.planning import StoredPlan
from overseer.ports import TaskQuery
from overseer.server import build_app
from tests.planning.conftest import Planning, planning  # noqa: F401 - the scripted planning model's fixture
from tests.planning.plans import text
from tests.web import seed
from tests.web.conftest import TOKEN, Web

XSS = "<script>alert(1)</script>"


@dataclass
class Planned:
    web: Web
    plan: StoredPlan

    def phase(self, html: str, n: int) -> str:
        """The markup of phase ``n`` (1-based) on a plan page."""
        return html.split(f'id="phase-{self.plan.phases[n - 1].id}"')[1].split("</section>")[0]


@pytest.fixture
def planned(planning: Planning) -> Iterator[Planned]:  # noqa: F811 - the fixture imported above
    planning.replies(text())
    outcome = planning.planner().plan(f"Add mul and sub to calc.py {XSS}")
    assert outcome.stored is not None
    ctx = AppContext(planning.sup, Auth(TOKEN), ApiSettings(sse_heartbeat_seconds=1.0))
    with TestClient(build_app(ctx)) as client:
        yield Planned(Web(client, ctx), outcome.stored)


def test_the_plan_page_shows_the_request_review_totals_and_each_phase_with_its_tasks_and_estimates(planned: Planned) -> None:
    web, plan = planned.web, planned.plan
    r = web.client.get(f"/plans/{plan.epic.id}")
    assert r.status_code == 200
    html = r.text
    assert XSS not in html and "Add mul and sub to calc.py &lt;script&gt;" in html
    assert "Multiplication first, then subtraction and its docs." in html  # the plan's summary
    review = html.split('id="plan-review"')[1].split("</section>")[0]
    assert "Python" in review and "pytest (pyproject.toml [tool.pytest.ini_options])" in review and "ruff" in review
    header = html.split('id="plan-header"')[1].split("</section>")[0]
    assert re.search(r'id="plan-waiting">2 waiting<', header) and "0/4 done" in header
    assert f'data-refresh="/plans/{plan.epic.id}?fragment=header"' in header

    one, two = planned.phase(html, 1), planned.phase(html, 2)
    assert "Phase 1: Multiplication" in one and "mul works and is tested" in one and 'data-gate="waiting"' in one
    assert f'data-refresh="/plans/{plan.epic.id}?fragment=phase&phase={plan.phases[0].id}"' in one
    tasks = {t.title: t for t in plan.tasks.values()}
    mul, test_mul, sub = tasks["Add mul"], tasks["Test mul"], tasks["Add sub"]
    row = one.split(f'id="plan-task-{test_mul.id}"')[1].split("</tr>")[0]
    for words in ("medium", "verification", "coder", "gpt-4o-mini", "~25m", f'href="/tasks/{mul.id}"', "held"):
        assert words in row, words
    assert re.search(r"\$0\.\d+", row)  # priced from the static table
    sub_row = two.split(f'id="plan-task-{sub.id}"')[1].split("</tr>")[0]
    assert "complex" in sub_row and "big" in sub_row and "gpt-4o" in sub_row and "~1h" in sub_row
    for n, phase in ((1, one), (2, two)):
        pid = plan.phases[n - 1].id
        assert f'action="/approvals/{pid}/approve" data-api="/api/v1/approvals/{pid}/approve"' in phase
        assert f'action="/approvals/{pid}/reject"' in phase and f'name="next" value="/plans/{plan.epic.id}"' in phase
        assert phase.count(f'name="csrf" value="{web.csrf}"') == 2
    assert '<a href="/plans" class="active" aria-current="page">Plans</a>' in html


def test_approving_phase_one_with_the_no_script_form_releases_it_and_leaves_phase_two_held(planned: Planned) -> None:
    web, plan = planned.web, planned.plan
    one, two = plan.phases
    web.sign_in()
    r = web.client.post(f"/approvals/{one.id}/approve", data={"csrf": web.csrf, "note": "go", "next": f"/plans/{plan.epic.id}"},
                        follow_redirects=False)
    assert r.status_code == 303
    where = urlparse(r.headers["location"])
    assert where.path == f"/plans/{plan.epic.id}" and parse_qs(where.query)["action"] == ["released"]
    sup = web.ctx.sup
    assert sup.get(one.id).hold is None and all(t.hold is None for t in sup.list_tasks(TaskQuery(parent=one.id)))
    assert sup.get(two.id).hold is not None and all(t.hold is not None for t in sup.list_tasks(TaskQuery(parent=two.id)))

    html = web.client.get(r.headers["location"]).text
    assert 'class="flash ok"' in html and f"{one.id}: released" in html
    first, second = planned.phase(html, 1), planned.phase(html, 2)
    assert 'data-gate="released"' in first and "/approve" not in first and "held" not in first
    assert 'data-gate="waiting"' in second and f'action="/approvals/{two.id}/approve"' in second
    assert 'id="plan-waiting">1 waiting<' in html


def test_a_form_that_names_another_site_to_go_back_to_stays_on_this_one(planned: Planned) -> None:
    web, plan = planned.web, planned.plan
    web.sign_in()
    r = web.client.post(f"/approvals/{plan.phases[1].id}/reject", data={"csrf": web.csrf, "reason": "not now",
                                                                      "next": "https://evil.example/x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/?") and "evil" not in r.headers["location"]
    html = web.client.get(f"/plans/{plan.epic.id}").text
    assert 'data-gate="rejected"' in planned.phase(html, 2) and 'data-gate="waiting"' in planned.phase(html, 1)


def test_a_phase_fragment_renders_that_phase_alone(planned: Planned) -> None:
    web, plan = planned.web, planned.plan
    one, two = plan.phases
    r = web.client.get(f"/plans/{plan.epic.id}", params={"fragment": "phase", "phase": two.id})
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<section class="panel phase g-waiting" id="phase-{two.id}"')
    assert "Phase 2: Subtraction" in r.text and one.id not in r.text and "<html" not in r.text
    header = web.client.get(f"/plans/{plan.epic.id}", params={"fragment": "header"})
    assert header.status_code == 200 and header.text.lstrip().startswith('<section class="panel head-panel" id="plan-header"')
    assert web.client.get(f"/plans/{plan.epic.id}", params={"fragment": "phase"}).status_code == 422
    assert web.client.get(f"/plans/{plan.epic.id}", params={"fragment": "phase", "phase": plan.epic.id}).status_code == 404


def test_the_plans_list_shows_each_plan_with_its_phases_at_the_gate_and_its_estimate(planned: Planned) -> None:
    web, plan = planned.web, planned.plan
    web.ctx.approvals().approve(plan.phases[0].id)
    html = web.client.get("/plans").text
    row = html.split(f'id="plan-{plan.epic.id}"')[1].split("</tr>")[0]
    assert f'href="/plans/{plan.epic.id}"' in row and "Plan: Add mul and sub" in row and XSS not in row
    assert "2: " in row and "1 waiting" in row and "1 released" in row
    assert re.search(r"\$\d+\.\d\d</td>", row) and re.search(r"~\d+h", row)
    r = web.client.post("/api/v1/plans/queue", json={"request": "Add div"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 202
    listed = web.client.get("/plans", params={"fragment": "list"}).text
    assert r.json()["id"] in listed and "Add div" in listed and "queued" in listed


def test_an_unknown_plan_or_a_task_that_is_no_plan_is_a_404_page(planned: Planned) -> None:
    web = planned.web
    plain = seed.task(web.ctx, "not a plan")
    for plan_id in ("ov-none", plain.id):
        r = web.client.get(f"/plans/{plan_id}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), plan_id
        assert "Not found" in r.text and plan_id in r.text


def test_a_phase_longer_than_the_page_shows_says_how_many_more_it_has(planned: Planned, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("overseer.web.plans.TASKS_SHOWN", 1)
    web, plan = planned.web, planned.plan
    html = web.client.get(f"/plans/{plan.epic.id}").text
    for n in (1, 2):
        phase = planned.phase(html, n)
        assert phase.count('id="plan-task-') == 1 and "… and 1 more tasks" in phase
    assert "0/4 done" in html  # the totals count what is not shown too
