"""The board, a task's page and a run's page without a browser: what each shows from a real project, the fragments the
page's script fetches, and the dependency list kept between renders."""

from __future__ import annotations

import re

from overseer.api.files import run_dir
from overseer.domain import TaskKind, TaskStatus
from tests.web import seed
from tests.web.conftest import Web

XSS = "<script>alert(1)</script>"


def column(html: str, key: str) -> str:
    """The HTML of one board column."""
    start = html.index(f'<div class="column" data-column="{key}"')
    return html[start: html.index('<div class="column"', start + 10) if key != "failed" else html.index("</section>", start)]


def cards(html: str) -> list[str]:
    return re.findall(r'id="card-([^"]+)"', html)


# -- the board ----------------------------------------------------------------------------------------------------------
def test_the_board_shows_each_task_in_the_column_of_its_status_with_counts(web: Web) -> None:
    todo = seed.task(web.ctx, "Write the parser", priority=1)
    busy = seed.move(web.ctx, seed.task(web.ctx, "Write the lexer").id, TaskStatus.CLAIMED, TaskStatus.RUNNING)
    done = seed.move(web.ctx, seed.task(web.ctx, "Write the spec").id, TaskStatus.DONE)
    html = web.client.get("/").text
    assert cards(column(html, "open")) == [todo.id]
    assert cards(column(html, "active")) == [busy.id]
    assert cards(column(html, "done")) == [done.id]
    assert "Write the parser" in column(html, "open") and "P1" in column(html, "open")
    assert 'data-status-count="running">1<' in html and "<b data-total>3</b>" in html
    assert 'class="tag ready"' in column(html, "open")  # nothing blocks it


def test_a_column_shows_its_first_fifty_cards_and_links_to_the_rest(web: Web) -> None:
    made = [seed.task(web.ctx, f"chore {n:02d}") for n in range(53)]
    html = web.client.get("/").text
    assert cards(column(html, "open")) == [t.id for t in made[:50]]
    assert '<span class="count" data-count>53</span>' in column(html, "open")
    assert 'href="/tasks?column=open">3 more' in html
    rest = web.client.get("/tasks", params={"column": "open", "offset": 50}).text
    assert [t.id for t in made[50:]] == re.findall(r'<a class="mono" href="/tasks/([^"]+)">', rest)


def test_the_board_draws_the_newest_open_epic_as_a_graph_layered_by_dependency_depth(web: Web) -> None:
    old = seed.task(web.ctx, "Old epic", kind=TaskKind.EPIC.value)
    seed.task(web.ctx, "old child", parent=old.id)
    epic = seed.task(web.ctx, "Parser rewrite", kind=TaskKind.EPIC.value)
    first = seed.task(web.ctx, "Tokenizer", parent=epic.id)
    second = seed.task(web.ctx, "AST", parent=epic.id, blocked_by=(first.id,))
    third = seed.task(web.ctx, "Wire it up", parent=epic.id, blocked_by=(second.id, first.id))
    seed.move(web.ctx, first.id, TaskStatus.DONE)
    html = web.client.get("/").text
    nodes = dict(re.findall(r'data-node="([^"]+)" data-status="[^"]+">\s*<title>[^<]*</title>\s*<rect x="(\d+)"', html))
    assert set(nodes) == {first.id, second.id, third.id}  # the newest open epic, not the old one
    assert int(nodes[first.id]) < int(nodes[second.id]) < int(nodes[third.id])
    assert f'class="node st-done" data-node="{first.id}"' in html
    edges = set(re.findall(r'data-from="([^"]+)" data-to="([^"]+)"', html))
    assert edges == {(first.id, second.id), (first.id, third.id), (second.id, third.id)}
    other = web.client.get("/", params={"epic": old.id}).text
    assert "old child" in other and f'data-node="{first.id}"' not in other


def test_asking_for_an_epic_that_does_not_exist_or_is_no_epic_is_an_error_page(web: Web) -> None:
    plain = seed.task(web.ctx, "not an epic")
    missing = web.client.get("/", params={"epic": "ov-none"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "ov-none" in missing.text
    wrong = web.client.get("/", params={"epic": plain.id})
    assert wrong.status_code == 422 and "not an epic" in wrong.text


def test_a_card_fragment_names_the_column_of_its_tasks_status(web: Web) -> None:
    work = seed.task(web.ctx, "Move me")
    seed.move(web.ctx, work.id, TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING)
    r = web.client.get(f"/board/card/{work.id}")
    assert r.status_code == 200 and r.text.lstrip().startswith("<li")
    assert 'data-column="verifying"' in r.text and 'data-status="verifying"' in r.text and "<html" not in r.text
    seed.move(web.ctx, work.id, TaskStatus.CANCELLED)
    assert 'data-column=""' in web.client.get(f"/board/card/{work.id}").text  # no column: the script removes the card
    assert web.client.get("/board/card/ov-none").status_code == 404


def test_the_board_counts_give_statuses_columns_and_what_waits_for_approval(web: Web) -> None:
    seed.task(web.ctx, "a")
    seed.move(web.ctx, seed.task(web.ctx, "b").id, TaskStatus.CLAIMED)
    seed.epic_awaiting_approval(web.ctx)
    body = web.client.get("/board/counts").json()
    assert body["counts"] == {"open": 1, "claimed": 1, "done": 1, "awaiting_approval": 1}
    assert body["columns"] == {"open": 1, "active": 1, "verifying": 0, "approval": 1, "done": 1, "failed": 0}
    assert body["waiting"] == 1 and body["total"] == 4


def test_the_dependency_list_is_read_again_only_after_a_change_to_it(web: Web) -> None:
    from overseer.web.dependencies import cache_for

    epic = seed.task(web.ctx, "Epic", kind=TaskKind.EPIC.value)
    first = seed.task(web.ctx, "first", parent=epic.id)
    cache = cache_for(web.ctx.sup)
    web.client.get("/")
    reads = cache.reads
    seed.move(web.ctx, first.id, TaskStatus.CLAIMED)  # events, but none that changes a dependency
    web.client.get("/")
    assert cache.reads == reads
    second = seed.task(web.ctx, "second", parent=epic.id, blocked_by=(first.id,))
    html = web.client.get("/").text
    assert cache.reads == reads + 1
    assert f'data-from="{first.id}" data-to="{second.id}"' in html


# -- tasks and runs -----------------------------------------------------------------------------------------------------
def test_the_task_page_shows_the_task_its_dependencies_both_ways_and_its_runs(web: Web) -> None:
    base = seed.task(web.ctx, "Tokenizer")
    work = seed.task(web.ctx, "Parser", blocked_by=(base.id,), acceptance=("parses the grammar",), body="Use recursive descent.")
    after = seed.task(web.ctx, "Docs", blocked_by=(work.id,))
    run = seed.finished_run(web.ctx, base.id, "run-tp-1")
    html = web.client.get(f"/tasks/{work.id}").text
    assert "<h1>Parser</h1>" in html and "Use recursive descent." in html and "parses the grammar" in html
    waits, waited = html.split("<h3>Waits on</h3>")[1].split("<h3>Waited on by</h3>")
    assert base.id in waits and after.id not in waits and after.id in waited
    assert 'class="tag held">blocked' in html
    assert f'href="/runs/{run.id}"' in web.client.get(f"/tasks/{base.id}").text
    assert "No runs yet." in html


def test_the_run_page_shows_its_header_log_tail_stages_and_highlighted_diff(web: Web) -> None:
    work = seed.task(web.ctx, "Add mul")
    run = seed.finished_run(web.ctx, work.id, "run-rp-1")
    html = web.client.get(f"/runs/{run.id}").text
    assert 'id="run-status" class="pill st-succeeded" data-status="succeeded">succeeded<' in html
    assert "adding mul()" in html  # the log tail, rendered here
    stages = html.split('id="run-stages"')[1].split("</section>")[0]
    assert re.findall(r"<td><b>(\w+)</b></td>", stages) == ["diff", "static", "secrets", "tests", "review"]
    assert "1.93s" in stages and "line too long (131 &gt; 120)" in stages and "calc.py:7" in stages
    diff = html.split('id="run-diff"')[1]
    assert '<span class="gi">+def mul(a, b):' in diff and '<span class="gh">diff --git a/calc.py b/calc.py' in diff


def test_the_log_stream_starts_at_the_byte_where_the_rendered_tail_ends(web: Web) -> None:
    work = seed.task(web.ctx, "Stream")
    run = seed.running_run(web.ctx, work.id, "run-ls-1", log="line one\nline two\n")
    size = (run_dir(web.root, run.id) / "output.log").stat().st_size
    html = web.client.get(f"/runs/{run.id}").text
    assert f'data-log-stream="/api/v1/runs/{run.id}/log/stream?offset={size}"' in html
    assert "No commits to compare yet" in html or "no commits to compare yet" in html


def test_a_fragment_renders_one_block_of_a_page_and_an_unknown_one_is_404(web: Web) -> None:
    work = seed.task(web.ctx, "Fragments")
    run = seed.running_run(web.ctx, work.id, "run-fr-1")
    header = web.client.get(f"/runs/{run.id}", params={"fragment": "header"})
    assert header.status_code == 200 and header.text.lstrip().startswith('<section class="panel head-panel" id="run-header"')
    assert "<html" not in header.text and "run-log" not in header.text and 'data-status="running"' in header.text
    runs = web.client.get(f"/tasks/{work.id}", params={"fragment": "runs"}).text
    assert runs.lstrip().startswith('<section class="panel" id="task-runs"')
    unknown = web.client.get(f"/runs/{run.id}", params={"fragment": f"nope{XSS}"})
    assert unknown.status_code == 404 and XSS not in unknown.text
