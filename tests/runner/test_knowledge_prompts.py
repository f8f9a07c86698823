"""Relevant knowledge in agents' prompts: the runner quotes the notes that match a task, and only when configured to."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from overseer.bootstrap import open_brain, open_runner
from overseer.domain.knowledge import RELEVANT_HEADING
from overseer.service import NewTask
from tests.runner.conftest import git
from tests.runner.test_runner import MakeRepo, OpenSup

#: An agent that keeps the prompt it was given (argv[1]) in the file argv[2], then changes one file and succeeds.
RECORDER = """
import json, pathlib, sys
pathlib.Path(sys.argv[2]).write_text(sys.argv[1])
pathlib.Path("done.txt").write_text("done\\n")
print(json.dumps({"type": "result", "success": True}), flush=True)
"""


def recording_profile(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    script, prompt = tmp_path / "recorder.py", tmp_path / "prompt.txt"
    script.write_text(RECORDER)
    return {"harness": "command", "command": [sys.executable, str(script), "{prompt}", str(prompt)], "stall_seconds": 5,
            "wall_seconds": 30}, prompt


def prompt_of_one_run(repo: Path, open_sup: OpenSup, prompt: Path, title: str) -> str:
    sup = open_sup(repo)
    brain = open_brain(sup, actor="t")
    brain.add("Alembic revisions", "Never edit an old revision: add a new one.", ["db"])
    brain.add("Docker layers", "Order them from stable to volatile.")
    sup.create_task(NewTask(title=title, body="done", max_attempts=1), actor="t")
    asyncio.run(open_runner(sup, worker="test-worker").run(once=True))
    return prompt.read_text()


def test_a_task_whose_title_matches_a_note_gets_it_quoted_in_the_prompt_its_agent_receives(
    make_repo: MakeRepo, open_sup: OpenSup, tmp_path: Path
) -> None:
    profile, prompt = recording_profile(tmp_path)
    repo = make_repo({"agent": profile})
    text = prompt_of_one_run(repo, open_sup, prompt, "Add an alembic revision for the users table")
    assert RELEVANT_HEADING in text
    section = text.split(RELEVANT_HEADING, 1)[1]
    assert "### Alembic revisions (kb-" in section and "Never edit an old revision" in section
    assert "Docker layers" not in text
    assert text.index("# Task ") < text.index(RELEVANT_HEADING) < text.index("## When done")
    assert "done.txt" in git(repo, "ls-tree", "--name-only", "-r", "overseer/integration/main")


def test_no_knowledge_is_quoted_when_knowledge_in_prompts_is_off(make_repo: MakeRepo, open_sup: OpenSup, tmp_path: Path) -> None:
    profile, prompt = recording_profile(tmp_path)
    repo = make_repo({"agent": profile})
    config = json.loads((repo / "overseer.yaml").read_text())
    (repo / "overseer.yaml").write_text(json.dumps({**config, "knowledge": {"in_prompts": False}}))
    text = prompt_of_one_run(repo, open_sup, prompt, "Add an alembic revision for the users table")
    assert text.startswith("# Task ") and RELEVANT_HEADING not in text and "Alembic revisions" not in text
