"""The dashboard in a real browser (Debian's chromium through Playwright) against a real server: live updates over
server-sent events, approving with a click, every page free of console errors. Screenshots of every page go to
``artifacts/screenshots/``.

chromium must be at /usr/bin/chromium (``scripts/install-browser.sh``, run by ``make test``): without it these tests
fail, they never skip."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from overseer.api.files import run_dir
from overseer.domain import TaskKind, TaskStatus, utcnow
from overseer.domain.runs import ExitReason, RunStatus
from tests.api.conftest import make_repo
from tests.web import seed
from tests.web.conftest import TOKEN
from tests.web.live import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
expect.set_options(timeout=15_000)


@dataclass
class Tab:
    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("OVERSEER_DATABASE_URL", raising=False)  # the project's own SQLite store
        with LiveServer(make_repo(tmp_path_factory.mktemp("web") / "repo"), TOKEN) as server:
            yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. Install it with "
                    "scripts/install-browser.sh (`make test` runs it); `playwright install` is not used.")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    opened = Tab(page)
    page.on("console", lambda msg: opened.errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: opened.errors.append(f"uncaught: {exc}"))
    yield opened
    context.close()


def sign_in(tab: Tab, live: LiveServer, then: str = "/") -> None:
    tab.page.goto(f"{live.url}/login?token={TOKEN}&next={then}")
    assert tab.page.url == live.url + then


def shot(tab: Tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_board_shows_tasks_in_their_status_columns(tab: Tab, live: LiveServer) -> None:
    parser = seed.task(live.ctx, "Write the parser", priority=1)
    lexer = seed.task(live.ctx, "Write the lexer")
    seed.move(live.ctx, lexer.id, TaskStatus.DONE)
    tab.page.goto(live.url + "/")
    expect(tab.page.locator(f'.column[data-column="open"] #card-{parser.id} .card-title')).to_have_text("Write the parser")
    expect(tab.page.locator(f'.column[data-column="done"] #card-{lexer.id}')).to_be_visible()
    expect(tab.page.locator("#conn")).to_have_attribute("data-state", "live")
    assert tab.errors == []


def test_a_card_moves_to_its_new_column_when_its_task_changes_without_a_reload(tab: Tab, live: LiveServer) -> None:
    moving = seed.task(live.ctx, "Move me along")
    tab.page.goto(live.url + "/")
    expect(tab.page.locator(f'.column[data-column="open"] #card-{moving.id}')).to_be_visible()
    expect(tab.page.locator("#conn")).to_have_attribute("data-state", "live")
    tab.page.evaluate("window.__loaded_once = true")
    before = int(tab.page.locator('.column[data-column="active"] [data-count]').inner_text())

    seed.move(live.ctx, moving.id, TaskStatus.CLAIMED)

    expect(tab.page.locator(f'.column[data-column="active"] #card-{moving.id}')).to_be_visible()
    expect(tab.page.locator(f'.column[data-column="open"] #card-{moving.id}')).to_have_count(0)
    expect(tab.page.locator('.column[data-column="active"] [data-count]')).to_have_text(str(before + 1))
    assert tab.page.evaluate("window.__loaded_once") is True
    assert tab.errors == []


def test_a_runs_status_and_log_change_live_without_a_reload(tab: Tab, live: LiveServer) -> None:
    ctx = live.ctx
    work = seed.task(ctx, "Stream my log")
    run = seed.running_run(ctx, work.id, "run-live-1", log="starting the agent\n")
    tab.page.goto(f"{live.url}/runs/{run.id}")
    status, log = tab.page.locator("#run-status"), tab.page.locator("#run-log")
    expect(status).to_have_text("running")
    expect(log).to_contain_text("starting the agent")
    expect(tab.page.locator("#conn")).to_have_attribute("data-state", "live")
    tab.page.evaluate("window.__loaded_once = true")
    url = tab.page.url

    with (run_dir(ctx.root, run.id) / "output.log").open("a") as fh:
        fh.write("hello from the agent\n")
    expect(log).to_contain_text("hello from the agent")

    ctx.runs.update_run(run.id, {"status": RunStatus.SUCCEEDED, "exit_reason": ExitReason.COMPLETED, "exit_code": 0,
                                 "ended_at": utcnow()}, actor="test", event="run.finished")
    expect(status).to_have_text("succeeded")
    expect(tab.page.locator("#log-state")).to_have_text("run succeeded")
    assert tab.page.url == url
    assert tab.page.evaluate("window.__loaded_once") is True
    assert log.inner_text().count("starting the agent") == 1  # the stream began where the rendered tail ended
    assert tab.errors == []


def test_approving_an_epic_with_a_click_merges_it_into_main(tab: Tab, live: LiveServer) -> None:
    ctx = live.ctx
    gate = seed.epic_awaiting_approval(ctx, "Approve me in the browser")
    main_before = seed.git(ctx.root, "rev-parse", "main")
    sign_in(tab, live, "/approvals")
    item = tab.page.locator(f"#approval-{gate.epic.id}")
    expect(item).to_contain_text("Approve me in the browser")
    expect(tab.page.locator("#conn")).to_have_attribute("data-state", "live")
    tab.page.evaluate("window.__loaded_once = true")

    item.get_by_role("button", name="Approve").click()

    expect(tab.page.locator("#flash")).to_contain_text(f"{gate.epic.id}: merged", timeout=60_000)
    expect(item).to_have_count(0)
    assert ctx.sup.get(gate.epic.id).status == TaskStatus.DONE
    assert seed.git(ctx.root, "rev-parse", "main") != main_before
    seed.git(ctx.root, "merge-base", "--is-ancestor", gate.commit, "main")  # raises unless main now holds the child's commit
    assert tab.page.evaluate("window.__loaded_once") is True  # the script posted it: the page never reloaded
    assert tab.errors == []


def test_new_work_waiting_for_approval_appears_in_the_queue_without_a_reload(tab: Tab, live: LiveServer) -> None:
    tab.page.goto(live.url + "/approvals")
    expect(tab.page.locator("#conn")).to_have_attribute("data-state", "live")
    tab.page.evaluate("window.__loaded_once = true")

    held = seed.task(live.ctx, "Needs a yes before it starts", gates=("start",))

    expect(tab.page.locator(f"#approval-{held.id}")).to_contain_text("Needs a yes before it starts")
    assert tab.page.evaluate("window.__loaded_once") is True
    assert tab.errors == []


@pytest.fixture(scope="module")
def showcase(live: LiveServer) -> dict[str, str]:
    """Something on every page: an epic with a dependency chain, tasks in several states, a verified run with a diff, an
    epic at the merge gate, spending, a parked provider, an audit report."""
    ctx = live.ctx
    epic = seed.task(ctx, "Parser rewrite", kind=TaskKind.EPIC.value, priority=1)
    tokens = seed.task(ctx, "Tokenizer for the new grammar", parent=epic.id, priority=1)
    ast = seed.task(ctx, "AST nodes and visitors", parent=epic.id, blocked_by=(tokens.id,))
    errors = seed.task(ctx, "Error recovery with line numbers", parent=epic.id, blocked_by=(tokens.id,))
    wire = seed.task(ctx, "Wire the parser into the CLI", parent=epic.id, blocked_by=(ast.id, errors.id), labels=("cli",),
                     body="`overseer parse FILE` reads a file with the new parser and prints the tree.\nErrors name file:line.",
                     acceptance=("parse prints the tree of a valid file", "a syntax error exits 1 naming file:line"))
    seed.task(ctx, "Document the grammar", parent=epic.id, blocked_by=(wire.id,), priority=3)
    seed.move(ctx, tokens.id, TaskStatus.DONE)
    seed.move(ctx, ast.id, TaskStatus.CLAIMED, TaskStatus.RUNNING)
    seed.move(ctx, errors.id, TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING)
    held = seed.task(ctx, "Drop the legacy parser", gates=("start",), priority=2)
    failed = seed.task(ctx, "Benchmark the parser")
    seed.move(ctx, failed.id, TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.FAILED)
    work = seed.task(ctx, "Add mul to calc", labels=("calc",))
    run = seed.finished_run(ctx, work.id, "run-showcase-1")
    seed.move(ctx, work.id, TaskStatus.VERIFYING, TaskStatus.DONE)
    seed.epic_awaiting_approval(ctx, "Calculator operations")
    seed.spending(ctx)
    seed.audit_report(ctx, run.base_commit or "", passed=True)
    seed.audit_report(ctx, run.head_commit or "")
    return {"epic": epic.id, "task": wire.id, "run": run.id, "held": held.id}


PAGES = [
    ("board", "/?epic={epic}"), ("tasks", "/tasks?column=open"), ("task", "/tasks/{task}"), ("run", "/runs/{run}"),
    ("approvals", "/approvals"), ("providers", "/providers"), ("cost", "/cost"), ("audit", "/audit"), ("login", "/login"),
]


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_loads_live_with_no_console_errors(tab: Tab, live: LiveServer, showcase: dict[str, str], name: str,
                                                      path: str) -> None:
    if name != "login":
        sign_in(tab, live)
    response = tab.page.goto(live.url + path.format(**showcase))
    assert response is not None and response.status == 200
    if name != "login":
        expect(tab.page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(tab.page.locator("main h1").first).to_be_visible()
    shot(tab, name)
    assert tab.errors == []


def test_an_unknown_id_is_a_404_page_in_the_browser(tab: Tab, live: LiveServer) -> None:
    response = tab.page.goto(live.url + "/tasks/ov-nothing")
    assert response is not None and response.status == 404
    expect(tab.page.locator("main h1")).to_have_text("Not found")
    expect(tab.page.locator("main")).to_contain_text("ov-nothing")
    shot(tab, "not-found")
