"""The sample repository on disk and its epic in the graph: written, committed with the demo's ``overseer.yaml``, and
set up for Overseer (``.overseer/`` ignored by its own ``.gitignore``, so the checkout stays clean for the runner)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from overseer.bootstrap import init_project
from overseer.demo.config import overseer_yaml
from overseer.demo.sample import BASE_FILES, EPIC_BODY, EPIC_TITLE, TASKS
from overseer.domain import OverseerError, TaskKind, ValidationError
from overseer.service import NewTask, Supervisor

__all__ = ["create_epic", "git", "sample_repository", "write_sample"]

GIT = ["git", "-c", "user.name=overseer-demo", "-c", "user.email=demo@overseer.invalid", "-c", "commit.gpgsign=false"]


def sample_repository(path: Path | None) -> Path:
    """``path`` (created; it must be new or empty) or a new temporary folder."""
    if path is None:
        return Path(tempfile.mkdtemp(prefix="overseer-demo-")).resolve()
    path = path.expanduser().resolve()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ValidationError("--path", f"{path} is not an empty folder: the demo creates its sample repository there; "
                                        "give a new or empty folder, or leave --path out for a temporary one")
    path.mkdir(parents=True, exist_ok=True)
    return path


def git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OverseerError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def write_sample(repo: Path, model_url: str) -> None:
    """The sample package and its tests, then the demo's overseer.yaml, as two commits on ``main``; then Overseer's state."""
    for name, text in BASE_FILES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "textkit: words() and its tests")
    (repo / "overseer.yaml").write_text(overseer_yaml(model_url), encoding="utf-8")
    git(repo, "add", "overseer.yaml")
    git(repo, "commit", "-qm", "overseer.yaml: two profiles on the built-in scripted model, routing with a cascade")
    init_project(repo)


def create_epic(sup: Supervisor, actor: str) -> tuple[str, dict[str, str]]:
    """The epic and its tasks, each blocked by the ones it builds on; returns the epic id and {task id: short name}."""
    epic = sup.create_task(NewTask(title=EPIC_TITLE, body=EPIC_BODY, kind=TaskKind.EPIC.value, priority=1), actor=actor)
    ids: dict[str, str] = {}
    for t in TASKS:
        new = NewTask(title=t.title, body=t.body, parent=epic.id, complexity=t.complexity, acceptance=t.acceptance,
                      file_hints=t.file_hints, blocked_by=tuple(ids[k] for k in t.after), max_attempts=3)
        ids[t.key] = sup.create_task(new, actor=actor).id
    return epic.id, {v: k for k, v in ids.items()}
