from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from overseer.cli.app import app

OVERSEER = Path(sys.executable).parent / "overseer"


class Cli:
    """Runs ``overseer`` in-process (fast) against one project folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> Any:
        result = self.runner.invoke(app, [*args, "--repo", str(self.root)] if args[0] not in ("init", "demo") else list(args),
                                    env={"OVERSEER_ACTOR": "tester", "OVERSEER_DATABASE_URL": ""})
        if ok and result.exit_code != 0:
            raise AssertionError(f"overseer {' '.join(args)} exited {result.exit_code}:\n{result.output}\n{result.exception!r}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


@pytest.fixture
def cli(project: Path) -> Cli:
    c = Cli(project)
    c("init", str(project))
    return c


@pytest.fixture
def run_overseer(project: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The real console script in a subprocess, in the project folder."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(OVERSEER), *args], cwd=project, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "OVERSEER_ACTOR": "tester", "HOME": str(project)})
        if check and proc.returncode != 0:
            raise AssertionError(f"overseer {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    return run
