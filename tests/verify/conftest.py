"""A real git repository with a small Python package and a real pytest suite, and a helper to commit changes to it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from overseer.ports import CheckContext
from overseer.verify import context_for

CALC = '''\
def add(a: int, b: int) -> int:
    return a + b


def sub(a: int, b: int) -> int:
    return a - b
'''

TEST_CALC = '''\
from calc import add, sub


def test_add() -> None:
    assert add(2, 3) == 5


def test_sub() -> None:
    assert sub(5, 3) == 2
'''

PYPROJECT = '''\
[project]
name = "calc"
version = "0.1.0"

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.ruff.lint]
select = ["E", "F"]
'''


class Repo:
    """A git repository in a temp dir: write files, commit them, and get the (base, head) of each change."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        argv = ["git", "-c", "user.name=Overseer Tests", "-c", "user.email=tests@overseer.invalid", "-c", "commit.gpgsign=false",
                "-C", str(self.path), *args]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    @property
    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def write(self, files: Mapping[str, str | bytes | None]) -> None:
        """Write each file (``None`` deletes it)."""
        for rel, content in files.items():
            path = self.path / rel
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)

    def commit(self, files: Mapping[str, str | bytes | None], message: str = "change") -> tuple[str, str]:
        """Write ``files``, commit everything, and return (the commit before, the new commit)."""
        base = self.head
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return base, self.head

    def ctx(self, base: str, head: str, **fields: object) -> CheckContext:
        return context_for(self.path, base, head, **fields)

    def change(self, files: Mapping[str, str | bytes | None], **fields: object) -> CheckContext:
        """Commit ``files`` and return the context of that one change."""
        base, head = self.commit(files)
        return self.ctx(base, head, **fields)


def make_repo(path: Path, files: Mapping[str, str | bytes | None]) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo(path)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    repo.write(files)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "baseline")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """calc.py, tests/test_calc.py and a pyproject with pytest config, committed on main."""
    return make_repo(tmp_path / "repo", {"calc.py": CALC, "tests/test_calc.py": TEST_CALC, "pyproject.toml": PYPROJECT})


@pytest.fixture
def empty_repo(tmp_path: Path) -> Repo:
    """A repository whose baseline is a README alone."""
    return make_repo(tmp_path / "plain", {"README.md": "# plain\n"})


def group_alive(pgid: int) -> bool:
    """True while a process of group ``pgid`` lives (zombies, which an orphan-ignoring PID 1 may leave, do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    stats = (_stat(entry) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return any(s is not None and s[1] == pgid and s[0] != "Z" for s in stats)


def process_alive(pid: int) -> bool:
    stat = _stat(Path(f"/proc/{pid}"))
    return stat is not None and stat[0] != "Z"


def _stat(entry: Path) -> tuple[str, int] | None:
    try:
        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[2])
