"""The other pages without a browser: approvals and the no-script forms (with and without the CSRF token), providers,
cost, audit, signing in and out, 404 pages and escaping."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from overseer.api.auth import COOKIE
from overseer.domain import TaskStatus
from tests.web import seed
from tests.web.conftest import TOKEN, Web

XSS = "<script>alert(1)</script>"


# -- errors and escaping ------------------------------------------------------------------------------------------------
def test_an_unknown_id_or_path_is_a_404_page_while_the_api_keeps_problem_json(web: Web) -> None:
    for path in ("/tasks/ov-none", "/runs/run-none", "/runs/..%2F..%2Fetc", "/no/such/page"):
        r = web.client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html") and "Not found" in r.text, path
    api = web.client.get("/api/v1/tasks/ov-none")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


def test_everything_a_page_shows_from_the_store_is_escaped(web: Web) -> None:
    evil = seed.task(web.ctx, f"title {XSS}", body=f"body {XSS}", labels=("x<b>y",))
    for path in ("/", f"/tasks/{evil.id}", f"/board/card/{evil.id}", "/tasks?column=open"):
        html = web.client.get(path).text
        assert XSS not in html and "x<b>y" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


# -- approvals ----------------------------------------------------------------------------------------------------------
def test_the_approvals_page_lists_an_epic_at_the_gate_with_forms_that_carry_the_csrf_token(web: Web) -> None:
    gate = seed.epic_awaiting_approval(web.ctx)
    html = web.client.get("/approvals").text
    item = html.split(f'id="approval-{gate.epic.id}"')[1].split("</article>")[0]
    assert "epic merge" in item and gate.epic.title in item and f"overseer/epic/{gate.epic.id}" in item
    assert f'action="/approvals/{gate.epic.id}/approve" data-api="/api/v1/approvals/{gate.epic.id}/approve"' in item
    assert f'action="/approvals/{gate.epic.id}/reject"' in item
    assert item.count(f'name="csrf" value="{web.csrf}"') == 2
    assert f'<meta name="csrf-token" content="{web.csrf}">' in html


def test_approving_without_script_merges_the_epic_and_redirects_back_with_the_outcome(web: Web) -> None:
    gate = seed.epic_awaiting_approval(web.ctx)
    web.sign_in()
    r = web.client.post(f"/approvals/{gate.epic.id}/approve", data={"csrf": web.csrf, "note": "ship it"}, follow_redirects=False)
    assert r.status_code == 303
    where = urlparse(r.headers["location"])
    assert where.path == "/approvals" and parse_qs(where.query)["action"] == ["merged"]
    assert web.ctx.sup.get(gate.epic.id).status == TaskStatus.DONE
    seed.git(web.root, "merge-base", "--is-ancestor", gate.commit, "main")  # raises unless main holds the child's commit
    assert "ship it" in seed.git(web.root, "log", "-1", "--format=%B", "main")
    page = web.client.get(r.headers["location"]).text
    assert f"{gate.epic.id}: merged" in page and 'class="flash ok"' in page and "Nothing waits for approval." in page


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(web: Web) -> None:
    gate = seed.epic_awaiting_approval(web.ctx)
    main = seed.git(web.root, "rev-parse", "main")
    events = web.ctx.sup.last_event_seq()
    unsigned = web.client.post(f"/approvals/{gate.epic.id}/approve", data={"csrf": web.csrf}, follow_redirects=False)
    assert unsigned.status_code == 401  # no session cookie: the token alone in a form is not enough
    web.sign_in()
    for data in ({}, {"csrf": "wrong"}):
        r = web.client.post(f"/approvals/{gate.epic.id}/approve", data=data, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert web.ctx.sup.get(gate.epic.id).status == TaskStatus.AWAITING_APPROVAL
    assert seed.git(web.root, "rev-parse", "main") == main and web.ctx.sup.last_event_seq() == events


def test_rejecting_without_a_reason_changes_nothing_and_says_why(web: Web) -> None:
    gate = seed.epic_awaiting_approval(web.ctx)
    web.sign_in()
    events = web.ctx.sup.last_event_seq()
    r = web.client.post(f"/approvals/{gate.epic.id}/reject", data={"csrf": web.csrf, "reason": "  "}, follow_redirects=False)
    assert r.status_code == 303 and "say why" in parse_qs(urlparse(r.headers["location"]).query)["error"][0]
    assert web.ctx.sup.get(gate.epic.id).status == TaskStatus.AWAITING_APPROVAL and web.ctx.sup.last_event_seq() == events
    assert 'class="flash bad"' in web.client.get(r.headers["location"]).text


def test_rejecting_an_epic_with_a_reason_reopens_it_with_a_child_task_carrying_the_reason(web: Web) -> None:
    gate = seed.epic_awaiting_approval(web.ctx)
    web.sign_in()
    r = web.client.post(f"/approvals/{gate.epic.id}/reject", data={"csrf": web.csrf, "reason": "add div too"}, follow_redirects=False)
    assert parse_qs(urlparse(r.headers["location"]).query)["action"] == ["sent_back"]
    assert web.ctx.sup.get(gate.epic.id).status == TaskStatus.OPEN
    assert any(t.body == "add div too" for t in web.ctx.sup.epic_status(gate.epic.id).children)


# -- providers, cost, audit ---------------------------------------------------------------------------------------------
def test_the_providers_page_shows_a_gauge_per_window_with_its_reserve_and_the_parked_providers(web: Web) -> None:
    seed.spending(web.ctx)
    html = web.client.get("/providers").text
    claude = html.split('id="provider-claude"')[1].split("</section>")[0]
    assert "<b>31</b> / 45" in claude and 'style="width: 68.89%"' in claude and 'style="left: 80.00%"' in claude
    assert "lvl-high" in claude and ">ready<" in claude
    glm = html.split('id="provider-glm"')[1].split("</section>")[0]
    assert "lvl-full" in glm and ">parked<" in glm
    parked = html.split('class="panel parked"')[1].split("</section>")[0]
    assert "glm" in parked and "rate limited: the provider answered 429" in parked


def test_the_cost_page_charts_thirty_days_and_totals_by_provider_and_model(web: Web) -> None:
    seed.spending(web.ctx)
    html = web.client.get("/cost").text
    assert len(re.findall(r'<rect class="bar', html)) == 30
    assert len(re.findall(r'<rect class="bar zero"', html)) == 16  # 14 days with spending
    assert "<b>$9.45</b> <span class=\"muted\">last 30 days" in html
    assert re.search(r"<td>deepseek-chat</td><td class=\"num\"><b>\$9.45</b>", html)
    assert re.search(r"<td>deepseek</td><td class=\"num\"><b>\$9.45</b></td><td class=\"num\">14</td>", html)


def test_the_audit_page_lists_reports_newest_first_with_status_score_and_issues(web: Web) -> None:
    seed.audit_report(web.ctx, "a" * 40, passed=True)
    seed.audit_report(web.ctx, "b" * 40)
    html = web.client.get("/audit").text
    assert html.index("bbbbbbbbbb") < html.index("aaaaaaaaaa")
    failed = html.split("bbbbbbbbbb")[1].split("</article>")[0]
    assert ">F<" in failed and "SEC-001" in failed and 'class="sev sev-critical">critical' in failed
    assert "AWS access key id in the added lines" in failed and "settings.py:3" in failed
    assert 'class="result res-pass">PASS' in html


# -- signing in ---------------------------------------------------------------------------------------------------------
def test_login_with_the_right_token_sets_a_strict_http_only_cookie_and_goes_on(web: Web) -> None:
    r = web.client.get("/login", params={"token": TOKEN, "next": "/approvals"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/approvals"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN}") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "sign out" in web.client.get("/").text


def test_login_with_a_wrong_token_is_refused_and_sets_no_cookie(web: Web) -> None:
    r = web.client.get("/login", params={"token": "wrong"}, follow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers and "not this server" in r.text
    r = web.client.post("/login", data={"token": "wrong"}, follow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers


def test_login_without_a_token_shows_the_form_and_posting_it_signs_in(web: Web) -> None:
    form = web.client.get("/login", params={"next": "/cost"})
    assert form.status_code == 200 and 'name="token" type="password"' in form.text and 'value="/cost"' in form.text
    r = web.client.post("/login", data={"token": TOKEN, "next": "/cost"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cost" and COOKIE in r.cookies


def test_login_never_sends_the_browser_to_another_site(web: Web) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        r = web.client.get("/login", params={"token": TOKEN, "next": target}, follow_redirects=False)
        assert r.headers["location"] == "/", target


def test_signing_out_needs_the_csrf_token_and_clears_the_session(web: Web) -> None:
    web.sign_in()
    assert web.client.post("/logout", follow_redirects=False).status_code == 403
    r = web.client.post("/logout", data={"csrf": web.csrf}, follow_redirects=False)
    assert r.status_code == 303 and f'{COOKIE}=""' in r.headers["set-cookie"]


def test_pages_link_their_versioned_assets_and_say_where_the_event_stream_resumes(web: Web) -> None:
    seed.task(web.ctx, "something happened")
    html = web.client.get("/").text
    css = re.search(r'href="(/static/overseer\.css\?v=\w+)"', html)
    js = re.search(r'src="(/static/overseer\.js\?v=\w+)"', html)
    assert css and js
    assert "--accent" in web.client.get(css.group(1)).text and "EventSource" in web.client.get(js.group(1)).text
    assert f'data-last-seq="{web.ctx.sup.last_event_seq()}"' in html
