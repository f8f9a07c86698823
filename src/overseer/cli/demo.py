"""``overseer demo``: a throwaway repository with an epic of dependent tasks, its graph and its ready set.

(The full pipeline demo — runs, verification, landing — replaces this once those layers exist.)
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from overseer.bootstrap import init_project, open_supervisor
from overseer.cli.common import JsonFlag, emit_json, out
from overseer.cli.render import dep_tree, epic_panel, task_table
from overseer.domain import Complexity, TaskStatus
from overseer.domain.serialize import task_dict
from overseer.service import NewTask

STEPS = [
    ("Add a failing test for slugify()", Complexity.SIMPLE, []),
    ("Implement slugify() in text.py", Complexity.MEDIUM, [0]),
    ("Use slugify() for page URLs", Complexity.MEDIUM, [1]),
    ("Document slugify() in the README", Complexity.SIMPLE, [1]),
    ("Release notes for the slug change", Complexity.SIMPLE, [2, 3]),
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=overseer-demo", "-c", "user.email=demo@overseer.invalid", *args],
                   cwd=repo, check=True, capture_output=True)


def demo(
    path: Annotated[Path | None, typer.Option("--path", help="Where to create the sample repository (default: a temp folder).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a sample repository with an epic of dependent tasks; show the graph and the ready set."""
    repo = path or Path(tempfile.mkdtemp(prefix="overseer-demo-"))
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "text.py").write_text("def slugify(text):\n    raise NotImplementedError\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "Initial commit")
    init_project(repo)
    sup = open_supervisor(repo)
    try:
        epic = sup.create_task(NewTask(title="Slugs for page URLs", kind="epic", priority=1), actor="demo")
        ids: list[str] = []
        for title, cplx, after in STEPS:
            new = NewTask(title=title, parent=epic.id, complexity=cplx, blocked_by=tuple(ids[i] for i in after))
            ids.append(sup.create_task(new, actor="demo").id)
        before = sup.ready()
        sup.set_status(ids[0], TaskStatus.CLAIMED, actor="demo")
        sup.close_task(ids[0], actor="demo", reason="demo: test written")
        after_first = sup.ready()
        status = sup.epic_status(epic.id)
        tree = sup.dependency_tree(ids[-1])
    finally:
        sup.close()
    if as_json:
        emit_json({"repo": str(repo), "epic": epic.id, "tasks": ids, "ready_before": [task_dict(t) for t in before],
                   "ready_after_first": [task_dict(t) for t in after_first], "done": status.done, "total": len(status.children)})
        return
    out.print(f"[bold]Sample repository[/] {repo}  (cd there and try: overseer ready, overseer dep tree ID)")
    out.print(epic_panel(status))
    out.print(dep_tree(tree, reverse=False))
    out.print(task_table(before, title="ready at the start"))
    out.print(task_table(after_first, title=f"ready after closing {ids[0]}"))
