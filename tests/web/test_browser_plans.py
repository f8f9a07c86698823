"""A plan's page in a real browser (Debian's chromium through Playwright) against a real server: Approve on phase 1 with
a click releases it and the page shows it without a reload, phase 2 stays held, and a task of the released phase moving
on the server shows up live. The screenshot goes to ``artifacts/screenshots/plan.png``.

chromium must be at /usr/bin/chromium (``scripts/install-browser.sh``): without it this test fails, it never skips."""

from __future__ import annotations

from playwright.sync_api import expect

from overseer.domain import TaskStatus
from overseer.ports import TaskQuery
from tests.planning.conftest import Planning, planning  # noqa: F401 - the scripted planning model's fixture
from tests.planning.plans import text
from tests.web import seed
from tests.web.conftest import TOKEN
from tests.web.live import LiveServer
from tests.web.test_browser import Tab, browser, shot, sign_in, tab  # noqa: F401 - the browser's fixtures and helpers


def test_approving_phase_one_with_a_click_releases_it_live_and_phase_two_stays_held(tab: Tab, planning: Planning) -> None:  # noqa: F811
    planning.replies(text())
    stored = planning.planner().plan("Add mul and sub to calc.py").stored
    assert stored is not None
    one, two = stored.phases
    mul = next(t for t in stored.tasks.values() if t.title == "Add mul")
    with LiveServer(planning.repo, TOKEN) as live:
        sign_in(tab, live, f"/plans/{stored.epic.id}")
        page = tab.page
        gate_one, gate_two = page.locator(f"#gate-{one.id}"), page.locator(f"#gate-{two.id}")
        expect(gate_one).to_have_attribute("data-gate", "waiting")
        expect(gate_two).to_have_text("waiting for approval")
        expect(page.locator(f"#plan-task-{mul.id}")).to_contain_text("gpt-4o-mini")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        page.evaluate("window.__loaded_once = true")

        page.locator(f"#phase-{one.id}").get_by_role("button", name="Approve").click()

        expect(page.locator("#flash")).to_contain_text(f"{one.id}: released")
        expect(gate_one).to_have_attribute("data-gate", "released")
        expect(gate_one).to_have_text("released")
        expect(page.locator(f"#phase-{one.id} .tag.held")).to_have_count(0)
        expect(page.locator(f"#phase-{one.id}").get_by_role("button", name="Approve")).to_have_count(0)
        expect(page.locator("#plan-waiting")).to_have_text("1 waiting")
        expect(gate_two).to_have_attribute("data-gate", "waiting")
        expect(page.locator(f"#phase-{two.id} .tag.held")).to_have_count(2)
        assert live.sup.get(one.id).hold is None and live.sup.get(two.id).hold is not None
        assert all(t.hold is not None for t in live.sup.list_tasks(TaskQuery(parent=two.id)))

        seed.move(live.ctx, mul.id, TaskStatus.CLAIMED)  # on the server: the event stream redraws the phase and the totals
        expect(page.locator(f"#plan-task-{mul.id}")).to_have_attribute("data-status", "claimed")
        expect(page.locator("#plan-header")).to_contain_text("1 claimed")
        assert page.evaluate("window.__loaded_once") is True  # never reloaded
        shot(tab, "plan")

        page.goto(f"{live.url}/plans")
        expect(page.locator(f"#plan-{stored.epic.id}")).to_contain_text("1 waiting")
        expect(page.locator(f"#plan-{stored.epic.id}")).to_contain_text("1 released")
        shot(tab, "plans")
        assert tab.errors == []
