from __future__ import annotations

from pathlib import Path

import pytest

from overseer.runtime.worktree import Worktrees
from tests.runtime.helpers import Agent, run_git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on branch ``main`` with one commit: ``app.py`` and a ``.gitignore`` that ignores ``.env``."""
    path = tmp_path / "repo"
    path.mkdir()
    run_git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text("print('hello')\nx = 1\n")
    (path / ".gitignore").write_text(".env\n.overseer/\n")
    run_git(path, "add", "-A")
    run_git(path, "commit", "-q", "-m", "first")
    return path


@pytest.fixture
def worktrees(repo: Path) -> Worktrees:
    return Worktrees(repo, repo / ".overseer" / "worktrees")


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    work = tmp_path / "work"
    work.mkdir()
    return Agent(work)
