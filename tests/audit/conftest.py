from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from overseer.audit import Auditor
from overseer.bootstrap import init_project, open_auditor, open_supervisor
from overseer.domain.audit import AuditState
from overseer.service import Supervisor

GIT = ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com"]
CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
AWS_KEY = "AKIA" + "QX7RZ3NVB2KD5LTY"


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@dataclass
class Repo:
    path: Path
    sup: Supervisor
    states: list[AuditState] = field(default_factory=list)

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        for name, text in files.items():
            target = self.path / name
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        git(self.path, "add", "-A")
        git(self.path, "commit", "-qm", message)
        return git(self.path, "rev-parse", "HEAD")

    def auditor(self) -> Auditor:
        return open_auditor(self.sup, actor="auditor", on_state=lambda s, why: self.states.append(s))

    def report(self, sha: str) -> dict[str, Any]:
        return json.loads((self.path / ".overseer" / "audit" / f"report_{sha}.json").read_text())  # type: ignore[no-any-return]

    def inbox(self) -> list[Path]:
        folder = self.path / "tasks" / "supervisor_feedback"
        return sorted(folder.glob("*.md")) if folder.exists() else []


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Repo]]:
    """A project with a real pytest suite, committed, with Overseer set up; the auditor's tests use this interpreter."""
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    opened: list[Repo] = []

    def make(audit: dict[str, Any] | None = None) -> Repo:
        path = tmp_path / "repo"
        path.mkdir()
        git(path, "init", "-q", "-b", "main")
        (path / "calc.py").write_text(CALC)
        (path / "tests").mkdir()
        (path / "tests" / "test_calc.py").write_text(TEST_CALC)
        init_project(path)
        config = {"verify": {"tests": {"command": f"{sys.executable} -m pytest -q -p no:cacheprovider"}}, "audit": audit or {}}
        (path / "overseer.yaml").write_text(json.dumps(config))
        git(path, "add", "-A")
        git(path, "commit", "-qm", "init")
        r = Repo(path, open_supervisor(path))
        opened.append(r)
        return r

    yield make
    for r in opened:
        r.sup.close()
