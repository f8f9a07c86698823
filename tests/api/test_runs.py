"""Runs over the API: the list, one run with its verdict, the log tail, the live log stream, and the diff."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from overseer.api.files import run_dir
from overseer.api.routes import runs as runs_route
from overseer.domain import utcnow
from overseer.domain.runs import ExitReason, Run, RunStatus
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus, Verdict
from overseer.service import NewTask
from tests.api.conftest import Api


def add_run(api: Api, run_id: str, *, task_id: str | None = None, **fields: Any) -> Run:
    task_id = task_id or api.sup.create_task(NewTask(title=f"task of {run_id}"), actor="test").id
    return api.ctx.runs.add_run(Run(run_id, task_id, "claude", "claude-code", **fields), actor="test")


def write_log(api: Api, run_id: str, text: str, name: str = "output.log") -> Path:
    path = run_dir(api.root, run_id) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def sse_events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in raw.split("\n\n"):
        lines = block.split("\n")
        kind = next((line[len("event: "):] for line in lines if line.startswith("event: ")), None)
        data = "\n".join(line[len("data: "):] for line in lines if line.startswith("data: "))
        if kind:
            found.append((kind, json.loads(data)))
    return found


# -- the list and one run --------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_filtered_by_task_and_status_and_paged(api: Api) -> None:
    now = utcnow()
    first = add_run(api, "run-a", status=RunStatus.SUCCEEDED, created_at=now - timedelta(minutes=3))
    add_run(api, "run-b", task_id=first.task_id, status=RunStatus.FAILED, created_at=now - timedelta(minutes=2))
    add_run(api, "run-c", status=RunStatus.RUNNING, created_at=now - timedelta(minutes=1))

    body = api.client.get("/api/v1/runs").json()
    assert [r["id"] for r in body["runs"]] == ["run-c", "run-b", "run-a"] and body["more"] is False
    assert [r["id"] for r in api.client.get("/api/v1/runs", params={"task": first.task_id}).json()["runs"]] == ["run-b", "run-a"]
    picked = api.client.get("/api/v1/runs", params=[("status", "succeeded"), ("status", "running")]).json()
    assert [r["id"] for r in picked["runs"]] == ["run-c", "run-a"]
    page = api.client.get("/api/v1/runs", params={"limit": 1, "offset": 1}).json()
    assert [r["id"] for r in page["runs"]] == ["run-b"] and page["more"] is True and page["offset"] == 1


def test_an_unknown_status_filter_is_refused_naming_the_field(api: Api) -> None:
    r = api.client.get("/api/v1/runs", params={"status": "exploded"})
    assert r.status_code == 422 and r.json()["field"].startswith("status")


def test_one_run_carries_its_verdict_and_every_stage_result_with_findings(api: Api) -> None:
    finding = Finding("static", Severity.MEDIUM, "LINT", "line too long", file="app.py", line=3, rule="E501")
    lint = StageResult("static", StageStatus.PASSED, (finding,), duration_s=0.25, detail="ruff: 1 finding", tools={"ruff": "0.6.0"})
    add_run(api, "run-v", status=RunStatus.SUCCEEDED, exit_reason=ExitReason.COMPLETED, tokens_in=1200, tokens_out=300,
            cost_usd=0.0125, verdict=Verdict.APPROVED_MINOR, stages=(StageResult("diff", StageStatus.PASSED), lint))
    body = api.client.get("/api/v1/runs/run-v").json()
    assert body["verdict"] == "approved_minor" and body["exit_reason"] == "completed" and body["cost_usd"] == 0.0125
    assert [s["stage"] for s in body["stages"]] == ["diff", "static"]
    [finding] = body["stages"][1]["findings"]
    assert finding["severity"] == "medium" and finding["file"] == "app.py" and finding["line"] == 3
    assert body["stages"][1]["tools"] == {"ruff": "0.6.0"} and body["landing"] == []


@pytest.mark.parametrize("suffix", ["", "/log", "/log/stream", "/diff"])
def test_an_unknown_run_is_404_naming_it(api: Api, suffix: str) -> None:
    r = api.client.get(f"/api/v1/runs/run-nope{suffix}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert "run-nope" in r.json()["detail"]


# -- the log --------------------------------------------------------------------------------------------


def test_the_log_tail_is_the_end_of_the_file_starting_at_a_line(api: Api) -> None:
    add_run(api, "run-log", status=RunStatus.RUNNING)
    path = write_log(api, "run-log", "".join(f"line {i:04d}\n" for i in range(1000)))
    write_log(api, "run-log", '{"type": "text"}\n', "events.jsonl")
    body = api.client.get("/api/v1/runs/run-log/log", params={"tail_bytes": 100}).json()
    assert body["run"] == "run-log" and body["status"] == "running" and body["size"] == path.stat().st_size
    assert body["text"].startswith("line ") and body["text"].endswith("line 0999\n") and len(body["text"]) <= 100
    events = api.client.get("/api/v1/runs/run-log/log", params={"kind": "events"}).json()
    assert events["text"] == '{"type": "text"}\n' and events["kind"] == "events"


def test_a_run_without_a_log_yet_has_an_empty_tail(api: Api) -> None:
    add_run(api, "run-quiet")
    assert api.client.get("/api/v1/runs/run-quiet/log").json() | {"status": "x"} == {
        "run": "run-quiet", "status": "x", "kind": "output", "text": "", "size": 0}
    assert api.client.get("/api/v1/runs/run-quiet/log", params={"kind": "stdout"}).status_code == 422


def test_the_log_stream_sends_what_is_appended_then_end_once_the_run_is_final(api: Api) -> None:
    add_run(api, "run-live", status=RunStatus.RUNNING)
    path = write_log(api, "run-live", "first\n")

    def agent() -> None:
        time.sleep(0.6)
        with path.open("ab") as fh:
            fh.write("second ✓".encode()[:-1])  # a character cut in two by the writer
        time.sleep(0.6)
        with path.open("ab") as fh:
            fh.write("✓".encode()[-1:] + b"\n")
        write_log(api, "run-live", "last words\n")  # written just before the run ends: must still be sent
        api.ctx.runs.update_run("run-live", {"status": RunStatus.SUCCEEDED}, actor="test")

    worker = threading.Thread(target=agent)
    started = time.monotonic()
    worker.start()
    with api.client.stream("GET", "/api/v1/runs/run-live/log/stream") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        raw = "".join(r.iter_text())
    worker.join()
    events = sse_events(raw)
    logs = [data for kind, data in events if kind == "log"]
    assert len(logs) >= 2 and time.monotonic() - started >= 1.2  # it followed the file, not one read at the end
    assert "".join(d["text"] for d in logs) == "first\nsecond ✓\nlast words\n"
    assert [d["offset"] for d in logs] == sorted(d["offset"] for d in logs) and logs[-1]["offset"] == path.stat().st_size
    assert events[-1] == ("end", {"status": "succeeded"})


def test_the_log_stream_of_an_ended_run_sends_the_rest_from_an_offset_and_ends(api: Api) -> None:
    add_run(api, "run-done", status=RunStatus.FAILED)
    write_log(api, "run-done", "0123456789\n", "events.jsonl")
    raw = api.client.get("/api/v1/runs/run-done/log/stream", params={"kind": "events", "offset": 5}).text
    assert sse_events(raw) == [("log", {"text": "56789\n", "offset": 11}), ("end", {"status": "failed"})]


def test_a_character_cut_in_two_by_the_writer_waits_for_its_last_bytes(tmp_path: Path) -> None:
    path, whole = tmp_path / "output.log", "naïve ✓".encode()
    path.write_bytes(whole[:-1])
    assert runs_route.read_chunk(path, 0, False) == ("naïve ", len("naïve ".encode()))
    assert runs_route.read_chunk(path, 0, True)[0] == "naïve \ufffd"  # the writer is done: what is there is all there is
    path.write_bytes(whole)
    assert runs_route.read_chunk(path, len("naïve ".encode()), False) == ("✓", len(whole))
    assert runs_route.read_chunk(path, len(whole) + 100, False) == ("naïve ✓", len(whole))  # replaced: read from the start


def test_following_a_log_stops_when_the_client_goes_away(tmp_path: Path) -> None:
    asked = 0

    async def disconnected() -> bool:
        nonlocal asked
        asked += 1
        return asked >= 2

    async def read() -> list[str]:
        stream = runs_route.follow(tmp_path / "output.log", 0, lambda: RunStatus.RUNNING, disconnected=disconnected,
                                   heartbeat_seconds=60)
        return [chunk async for chunk in stream]

    (tmp_path / "output.log").write_text("hello\n")
    chunks = asyncio.run(asyncio.wait_for(read(), timeout=5))
    assert asked == 2 and any("event: log" in c for c in chunks) and not any("event: end" in c for c in chunks)


# -- the diff ------------------------------------------------------------------------------------------


@pytest.fixture
def committed_run(api: Api) -> Run:
    """A run whose branch changed README.md and added src/app.py, as the executor would have committed it."""
    base = git(api.root, "rev-parse", "HEAD")
    git(api.root, "checkout", "-q", "-b", "overseer/run/run-diff")
    (api.root / "README.md").write_text("# sample\n\nNow with an app.\n")
    (api.root / "src").mkdir()
    (api.root / "src" / "app.py").write_text("print('hello')\n")
    git(api.root, "add", "-A")
    git(api.root, "commit", "-qm", "agent work")
    head = git(api.root, "rev-parse", "HEAD")
    git(api.root, "checkout", "-q", "main")
    return add_run(api, "run-diff", status=RunStatus.SUCCEEDED, branch="overseer/run/run-diff", base_commit=base, head_commit=head)


def test_the_diff_is_the_runs_change_from_base_to_head(api: Api, committed_run: Run) -> None:
    body = api.client.get("/api/v1/runs/run-diff/diff").json()
    assert body["files"] == ["README.md", "src/app.py"]
    assert body["base"] == committed_run.base_commit and body["head"] == committed_run.head_commit
    assert "+Now with an app." in body["text"] and "+print('hello')" in body["text"]


def test_path_keeps_one_files_section_and_text_gives_the_plain_patch(api: Api, committed_run: Run) -> None:
    one = api.client.get("/api/v1/runs/run-diff/diff", params={"path": "src/app.py"}).json()
    assert one["files"] == ["src/app.py"] and one["text"].startswith("diff --git a/src/app.py b/src/app.py")
    assert "README" not in one["text"]
    plain = api.client.get("/api/v1/runs/run-diff/diff", params={"path": "README.md", "format": "text"})
    assert plain.headers["content-type"].startswith("text/x-diff")
    assert plain.text.startswith("diff --git a/README.md b/README.md") and "app.py" not in plain.text
    missing = api.client.get("/api/v1/runs/run-diff/diff", params={"path": "docs/other.md"})
    assert missing.status_code == 404 and "docs/other.md" in missing.json()["detail"]


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "src/../../x", "a\x00b", "..\\secrets", "~/.ssh/id_rsa"])
def test_a_path_that_leaves_the_repository_is_refused_naming_path(api: Api, committed_run: Run, path: str) -> None:
    r = api.client.get("/api/v1/runs/run-diff/diff", params={"path": path})
    assert r.status_code == 422 and r.json()["field"] == "path"


def test_a_run_without_commits_has_no_diff_yet(api: Api) -> None:
    add_run(api, "run-early", status=RunStatus.RUNNING)
    r = api.client.get("/api/v1/runs/run-early/diff")
    assert r.status_code == 409 and "no commits" in r.json()["detail"] and r.json()["run_id"] == "run-early"
