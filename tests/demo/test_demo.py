"""`overseer demo` end to end: a real subprocess builds the sample repository, serves the API, runs the epic on the
built-in scripted model through the command harness, and stops when the epic waits for approval. The demo runs once
for the module; each test reads one side of its outcome (the JSON it printed, git, the store, the model server's log)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from overseer.bootstrap import open_supervisor
from overseer.cli.app import app
from overseer.demo.agent import parse_files, write_files
from overseer.demo.model import LARGE_MODEL, SMALL_MODEL, DemoScript
from overseer.demo.sample import TASKS
from overseer.modelserver import Text, Turn

OVERSEER = Path(sys.executable).parent / "overseer"
TRUNCATE = next(t for t in TASKS if t.key == "truncate")


@dataclass
class Outcome:
    code: int
    out: dict[str, Any]
    stderr: str
    repo: Path

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.repo, check=True, capture_output=True, text=True).stdout

    def task(self, key: str) -> dict[str, Any]:
        return next(t for t in self.out["tasks"] if t["key"] == key)

    def model_requests(self) -> list[dict[str, Any]]:
        log = self.repo / ".overseer" / "scripted-model.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    repo = tmp_path_factory.mktemp("demo") / "sample"
    env = {k: v for k, v in os.environ.items() if k != "OVERSEER_DATABASE_URL"}
    done = subprocess.run([str(OVERSEER), "demo", "--path", str(repo), "--port", "0", "--json"], capture_output=True, text=True,
                          timeout=240, env=env, cwd=tmp_path_factory.getbasetemp())
    assert done.stdout.strip(), f"no JSON on stdout (exit {done.returncode}):\n{done.stderr}"
    return Outcome(done.returncode, json.loads(done.stdout), done.stderr, repo)


def test_the_demo_exits_0_with_the_epic_awaiting_approval_and_every_task_landed_on_the_epic_branch(demo: Outcome) -> None:
    assert demo.code == 0, demo.stderr
    out = demo.out
    assert out["ok"] is True and out["epic_status"] == "awaiting_approval" and out["epic_review"] == "approved"
    branch = out["epic_branch"]
    assert branch == f"overseer/epic/{out['epic']}"
    assert [t["key"] for t in out["tasks"]] == [t.key for t in TASKS]
    for task in out["tasks"]:
        assert task["status"] == "done"
        landed = task["attempts"][-1]["landed_commit"]
        assert landed and demo.git("merge-base", "--is-ancestor", landed, branch) == ""
    files = set(demo.git("ls-tree", "-r", "--name-only", branch).split())
    assert {name for t in TASKS for name in t.files} <= files
    assert demo.git("show", f"{branch}:textkit/truncate.py") == TRUNCATE.files["textkit/truncate.py"]  # not the planted mistake
    assert len(demo.git("log", "--oneline", "main").splitlines()) == 2  # main waits for the approval
    assert demo.git("status", "--porcelain") == ""  # the checkout stays clean: .overseer/ ignores itself


def test_the_planted_failure_fails_its_tests_on_the_small_profile_and_the_cascade_retries_it_on_the_large_one(demo: Outcome) -> None:
    retried = [t for t in demo.out["tasks"] if len(t["attempts"]) > 1]
    assert [t["key"] for t in retried] == ["truncate"]
    first, second = retried[0]["attempts"]
    assert retried[0]["profiles"] == ["scripted-small", "scripted-large"]
    assert first["verdict"] == "needs_changes" and first["landed_commit"] is None
    assert first["failed"] and first["failed"][0].startswith("tests failed: tests/test_truncate.py::test_the_teaser_is_never_longer")
    assert second["verdict"] == "approved" and second["landed_commit"]
    for task in demo.out["tasks"]:
        if task["key"] != "truncate":
            assert [(a["profile"], a["verdict"]) for a in task["attempts"]] == [("scripted-small", "approved")]
    sup = open_supervisor(demo.repo)
    try:
        decided = {e.run_id: e.data for e in sup.events(0, 10_000) if e.kind == "routing.decided"}
    finally:
        sup.close()
    assert "cascade after scripted-small failed attempt 1" in str(decided[second["run"]]["reason"])


def test_every_model_call_went_to_the_scripted_server_and_the_retry_carried_the_failing_test_as_feedback(demo: Outcome) -> None:
    requests = demo.model_requests()
    assert demo.out["scripted_model"]["requests"] == len(requests) == 12  # 6 agent runs, 5 task reviews, 1 epic review
    agent = [r for r in requests if r["headers"].get("user-agent", "").startswith("Python-urllib")]
    reviews = [r for r in requests if r not in agent]
    assert sorted(r["body"]["model"] for r in agent) == [LARGE_MODEL] + [SMALL_MODEL] * 5
    assert [r["body"]["model"] for r in reviews] == [LARGE_MODEL] * 6  # through LiteLLM, routed to the large profile
    [retry] = [r for r in agent if r["body"]["model"] == LARGE_MODEL]
    prompt = retry["body"]["messages"][-1]["content"]
    assert TRUNCATE.title in prompt and "## Feedback from earlier attempts" in prompt
    assert "test_the_teaser_is_never_longer_than_the_width" in prompt


def test_the_audit_report_of_the_sample_history_is_written(demo: Outcome) -> None:
    path = Path(demo.out["audit_report"])
    report = json.loads(path.read_text())
    assert path.parent == demo.repo / ".overseer" / "audit"
    assert report["status"] == demo.out["audit_status"] == "PASS"
    assert report["commit_hash"] == demo.git("rev-parse", "main").strip()


def test_the_served_api_answered_all_along_and_its_runner_ran_every_attempt(demo: Outcome) -> None:
    api = demo.out["api"]
    assert api["errors"] == [] and api["requests"] > 2
    runner = api["health"]["runner"]
    assert runner["status"] == "ok" and runner["data"]["state"] == "running" and runner["data"]["finished"] == 6
    assert demo.out["url"].startswith("http://127.0.0.1:") and demo.out["login"].startswith(demo.out["url"] + "/login?token=")
    assert f"dashboard   {demo.out['url']}/" in demo.stderr and "No real model is used" in demo.stderr


def test_a_folder_that_is_not_empty_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    result = CliRunner().invoke(app, ["demo", "--path", str(tmp_path), "--port", "0"])
    assert result.exit_code == 1 and "is not an empty folder" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_port_that_is_taken_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = CliRunner().invoke(app, ["demo", "--path", str(tmp_path / "new"), "--port", str(port)])
    assert result.exit_code == 1 and f"127.0.0.1:{port}" in result.output and "--port 0" in result.output
    assert not (tmp_path / "new").exists()


def test_the_agent_writes_the_files_of_the_reply_and_nothing_outside_its_folder(tmp_path: Path) -> None:
    reply = "Here:\n\na.py\n```python\nx = 1\n```\nsub/b.txt\n```\nline\n```\n"
    assert parse_files(reply) == {"a.py": "x = 1\n", "sub/b.txt": "line\n"}
    assert write_files(tmp_path, parse_files(reply)) == ["a.py", "sub/b.txt"]
    assert (tmp_path / "sub" / "b.txt").read_text() == "line\n"
    for bad in ("../escape.py", ".git/config"):
        with pytest.raises(ValueError, match="outside the working directory"):
            write_files(tmp_path, {bad: "x"})
    assert not (tmp_path.parent / "escape.py").exists()


def test_only_the_small_model_makes_the_planted_mistake_and_reviews_approve_the_task_they_name() -> None:
    script = DemoScript()
    prompt = f"# Task ov-1: {TRUNCATE.title}\n\n{TRUNCATE.body}\n"

    def files(model: str) -> dict[str, str]:
        reply = script.next_reply(Turn(api="openai-chat", model=model, last_user_text=prompt))
        assert isinstance(reply, Text)
        return parse_files(reply.text)

    assert files(LARGE_MODEL) == TRUNCATE.files
    small = files(SMALL_MODEL)
    assert small["tests/test_truncate.py"] == TRUNCATE.files["tests/test_truncate.py"]
    assert small["textkit/truncate.py"] != TRUNCATE.files["textkit/truncate.py"]
    review = script.next_reply(Turn(api="openai-chat", model=LARGE_MODEL, last_user_text=prompt + "## Diff (a..b)\n"))
    assert isinstance(review, Text) and json.loads(review.text)["verdict"] == "approved" and TRUNCATE.title in review.text
