"""A small real repository with Overseer set up on it: the planning call goes through the routed gateway and LiteLLM to the
scripted model server; implementation tasks route to priced profiles (a static price table), complex ones to a dearer one.
The gate's fixtures (``project``: a repository whose runs really verify and land) are shared from tests/gate."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from overseer.bootstrap import init_project, model_gateway, open_supervisor, task_routing
from overseer.llm.prices import StaticPrices
from overseer.modelserver import Script, ScriptedModelServer, Text
from overseer.planning import Estimator, Planner
from overseer.ports import TaskQuery
from overseer.service import Supervisor
from tests.gate.conftest import hook, models, project  # noqa: F401 - the gate's fixtures, used by the end-to-end test

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
PRICES = StaticPrices({"gpt-4o-mini": (1e-6, 4e-6), "gpt-4o": (1e-5, 4e-5)})


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def planning_config(base_url: str, paid: str = "api", **planning: Any) -> dict[str, Any]:
    return {
        "profiles": {
            "planner": {"harness": "command", "command": ["true"], "provider": "local", "model": "plan-model",
                        "options": {"litellm_model": "openai/plan-model", "api_base": base_url + "/v1", "env_key": "TEST_KEY"}},
            "coder": {"harness": "command", "command": ["true"], "provider": "paid", "model": "gpt-4o-mini"},
            "big": {"harness": "command", "command": ["true"], "provider": "paid", "model": "gpt-4o"},
        },
        "providers": {"local": {"kind": "local", "pool": 4}, "paid": {"kind": paid, "pool": 4}},
        "routing": {"rules": [{"when": {"work_type": "planning"}, "chain": ["planner"]},
                              {"when": {"complexity": "complex"}, "chain": ["big"]}, {"chain": ["coder"]}]},
        "runtime": {"max_parallel": 2},
        "planning": planning,
    }


def make_repo(repo: Path) -> Path:
    """A Python project with tests, a ruff config, a README and agent instructions, committed."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    files = {
        "calc.py": "def add(a, b):\n    return a + b\n",
        "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        "pyproject.toml": ('[project]\nname = "calc"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n'
                           "[tool.ruff]\nline-length = 100\n"),
        "README.md": "# calc\n\nA tiny calculator.\n",
        "AGENTS.md": "# Rules\n\nEvery function has a test. Run `pytest -q`.\n",
        "web/app.ts": "export const x = 1;\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    return repo


@dataclass
class Planning:
    repo: Path
    models: ScriptedModelServer
    sup: Supervisor

    def planner(self, *, mode: str | None = None) -> Planner:
        routing = task_routing(self.sup, mode=mode)
        estimator = Estimator(routing, PRICES, max_parallel=self.sup.config.runtime.max_parallel)
        return Planner(self.sup, model_gateway(self.sup, actor="planner"), estimator, actor="planner", mode=mode)

    def replies(self, *texts: str) -> None:
        for text in texts:
            self.models.script.add(Text(text))

    def asked(self) -> list[str]:
        """The last user message of every planning request, oldest first."""
        return [r.body["messages"][-1]["content"] for r in self.models.requests_to("/v1/chat/completions")]

    def state(self) -> tuple[int, int]:
        """(tasks, deleted ones too; last event seq): what a refusal must leave as it was."""
        return len(self.sup.list_tasks(TaskQuery(include_deleted=True))), self.sup.last_event_seq()

    def configure(self, paid: str = "api", **planning: Any) -> None:
        """Rewrite overseer.yaml (``paid``: the kind of the coding profiles' provider; ``planning``: the planning section)."""
        (self.repo / "overseer.yaml").write_text(json.dumps(planning_config(self.models.base_url, paid, **planning)))
        self.sup.close()
        self.sup = open_supervisor(self.repo)


@pytest.fixture
def planning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Planning]:
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    monkeypatch.setenv("TEST_KEY", "sk-test")
    with ScriptedModelServer(Script()) as srv:
        repo = make_repo(tmp_path / "repo")
        init_project(repo)
        (repo / "overseer.yaml").write_text(json.dumps(planning_config(srv.base_url)))
        p = Planning(repo, srv, open_supervisor(repo))
        yield p
        p.sup.close()
