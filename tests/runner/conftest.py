from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from overseer.bootstrap import init_project, open_supervisor
from overseer.service import Supervisor

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


AGENT = Path(__file__).with_name("agent.py")


def command_profile(**extra: Any) -> dict[str, Any]:
    """A profile whose agent is ``tests/runner/agent.py``: it acts out what the prompt asks (see that file)."""
    return {"harness": "command", "command": [sys.executable, str(AGENT), "{prompt}"], "stall_seconds": 5, "wall_seconds": 30, **extra}


@pytest.fixture
def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)

    def make(profiles: dict[str, Any], **runtime: Any) -> Path:
        repo = tmp_path / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "README.md").write_text("hello\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "init")
        init_project(repo)
        # no model reviews here (tests/gate drives the review through the scripted model server)
        config = {"profiles": profiles, "runtime": {"tick_seconds": 0.1, "heartbeat_seconds": 0.5, **runtime},
                  "verify": {"review": {"enabled": False}}}
        (repo / "overseer.yaml").write_text(json.dumps(config))  # JSON is YAML
        return repo

    return make


@pytest.fixture
def open_sup() -> Callable[[Path], Supervisor]:
    opened: list[Supervisor] = []

    def open_(repo: Path) -> Supervisor:
        sup = open_supervisor(repo)
        opened.append(sup)
        return sup

    yield open_  # type: ignore[misc]
    for sup in opened:
        sup.close()
