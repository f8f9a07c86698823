"""`overseer serve` as a user starts it: one process with the API, the dashboard, the supervisor loop and the auditor."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import make_repo

TOKEN = "serve-test-token"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    repo = make_repo(tmp_path / "repo")
    env = {**os.environ, "OVERSEER_API_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "overseer", "serve", "--port", "0", "--json", "-C", str(repo)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise AssertionError(f"overseer serve printed nothing; stderr: {proc.stderr.read() if proc.stderr else ''}")
        yield repo, json.loads(line)["url"], proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for(check, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds}s")


def test_serve_runs_the_api_the_supervisor_loop_and_the_auditor_in_one_process(served: tuple[Path, str, subprocess.Popen[str]]) -> None:
    repo, url, _ = served
    assert httpx.get(f"{url}/api/v1/readyz").json()["status"] == "ready"
    parts = _wait_for(lambda: (c := httpx.get(f"{url}/api/v1/health/detailed").json()["components"])
                      and c["runner"]["data"].get("state") == "running" and c["auditor"]["data"].get("state") == "running" and c)
    assert parts["runner"]["status"] == "ok" and parts["auditor"]["status"] == "ok"
    assert httpx.get(f"{url}/").status_code == 200 and "Board" in httpx.get(f"{url}/").text
    assert "overseer_tasks" in httpx.get(f"{url}/metrics").text

    # The auditor in the same process audits a new commit: its report is served by the API.
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    _git(repo, "add", "app.py")
    _git(repo, "commit", "-qm", "add app.py")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    reports = _wait_for(lambda: [r for r in httpx.get(f"{url}/api/v1/audit/reports").json()["reports"] if r["commit_hash"] == head],
                        seconds=120)
    assert reports[0]["status"] in ("PASS", "FAIL")

    # The supervisor loop sees work created through the API (the task is routed; without a usable profile it waits).
    created = httpx.post(f"{url}/api/v1/tasks", json={"title": "served task"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert created.status_code == 201
    assert httpx.post(f"{url}/api/v1/tasks", json={"title": "no token"}).status_code == 401


def test_serve_refuses_a_taken_port_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "overseer", "serve", "--port", str(port), "--no-agents", "--no-audit", "-C", str(repo)]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={**os.environ, "OVERSEER_API_TOKEN": TOKEN})
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr
