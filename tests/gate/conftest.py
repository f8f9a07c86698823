from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from overseer.bootstrap import init_project, open_supervisor
from overseer.modelserver import Script, ScriptedModelServer, Text
from overseer.service import Supervisor
from tests.notify.receiver import WebhookReceiver

AGENT = Path(__file__).with_name("agent.py")
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]

CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
APPROVED = json.dumps({"verdict": "approved", "summary": "looks right", "findings": []})


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def attempts(*files: dict[str, str | None]) -> str:
    """A task body for tests/gate/agent.py: what each attempt writes."""
    return json.dumps(list(files))


@dataclass
class Project:
    repo: Path
    state: Path
    models: ScriptedModelServer
    hook: WebhookReceiver
    sup: Supervisor

    def head(self, branch: str) -> str:
        return git(self.repo, "rev-parse", branch).strip()

    def files(self, branch: str) -> set[str]:
        return set(git(self.repo, "ls-tree", "-r", "--name-only", branch).split())

    def prompt(self, task_id: str, attempt: int) -> str:
        return (self.state / f"{task_id}.{attempt}.prompt").read_text()

    def reopen(self) -> Supervisor:
        self.sup.close()
        self.sup = open_supervisor(self.repo)
        return self.sup


@pytest.fixture
def models() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script()) as srv:
        yield srv


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: ScriptedModelServer,
            hook: WebhookReceiver) -> Iterator[Callable[..., Project]]:
    """A repository with a real pytest suite, Overseer set up on it: the scripted agent, reviews from the scripted model
    server, notifications to the local webhook receiver."""
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    monkeypatch.setenv("TEST_KEY", "sk-test")
    opened: list[Project] = []

    def make(verify: dict[str, Any] | None = None, landing: dict[str, Any] | None = None, review: str | None = APPROVED) -> Project:
        repo, state = tmp_path / "repo", tmp_path / "agent-state"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "calc.py").write_text(CALC)
        (repo / "tests").mkdir()
        (repo / "tests" / "test_calc.py").write_text(TEST_CALC)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "init")
        init_project(repo)
        tests = {"command": f"{sys.executable} -m pytest -q -p no:cacheprovider", "timeout_seconds": 60}
        config = {
            "profiles": {
                "agent": {"harness": "command", "command": [sys.executable, str(AGENT), "{prompt}", str(state)],
                          "stall_seconds": 20, "wall_seconds": 60},
                "reviewer": {"harness": "command", "command": ["true"], "provider": "local", "model": "review-model",
                             "options": {"litellm_model": "openai/review-model", "api_base": models.base_url + "/v1",
                                         "env_key": "TEST_KEY"}},
            },
            "providers": {"local": {"kind": "api", "pool": 4}},
            "routing": {"rules": [{"when": {"work_type": "review"}, "chain": ["reviewer"]}, {"chain": ["agent"]}]},
            "runtime": {"tick_seconds": 0.1, "heartbeat_seconds": 0.5},
            "verify": {"tests": tests, **(verify or {})},
            "landing": landing or {},
            "notify": {"urls": [hook.apprise_url("/hook")]},
        }
        (repo / "overseer.yaml").write_text(json.dumps(config))
        if review is not None:
            models.script.add(Text(review), times=None)
        project = Project(repo, state, models, hook, open_supervisor(repo))
        opened.append(project)
        return project

    yield make
    for p in opened:
        p.sup.close()
