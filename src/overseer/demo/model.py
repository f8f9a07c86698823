"""The built-in scripted model the demo runs on: no real LLM, no key, no network.

Two model names, one script. ``scripted/demo-small`` and ``scripted/demo-large`` answer a task's prompt with the task's
files in whole-file format (``path`` then a fenced block; ``overseer.demo.agent`` writes them), except for one planted
mistake: the small model's ``truncate()`` forgets to leave room for the ellipsis, so its teasers can be one character
longer than asked, and the task's own tests catch it. A review request (the gate's review stage, routed to the large
model through the model gateway) is answered with an approving review of the task it names.
"""

from __future__ import annotations

import json
import re

from overseer.demo.sample import TASKS, SampleTask
from overseer.modelserver import Reply, Script, Text, Turn, whole_file

__all__ = ["LARGE_MODEL", "PLANTED", "SMALL_MODEL", "DemoScript", "answer_files"]

SMALL_MODEL = "scripted/demo-small"
LARGE_MODEL = "scripted/demo-large"
PLANTED = "truncate"  # the task whose first (small-model) answer is wrong

FLAWED_TRUNCATE = '''\
"""Teasers."""

from textkit.spaces import squash

ELLIPSIS = "…"


def truncate(text: str, width: int) -> str:
    """``text`` (whitespace squashed) in at most ``width`` characters: cut at a word boundary, ending with an ellipsis."""
    text = squash(text)
    if len(text) <= width:
        return text
    cut = text[:width]
    if text[len(cut)] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS
'''

_REVIEW_MARKERS = ("You review a code change", "## Diff (")
_TASK_LINE = re.compile(r"^# Task (\S+): (.+)$", re.MULTILINE)


def answer_files(task: SampleTask, model: str) -> dict[str, str]:
    """What ``model`` writes for ``task``: the right files, or the planted mistake."""
    if task.key == PLANTED and "small" in model:
        return {**task.files, "textkit/truncate.py": FLAWED_TRUNCATE}
    return dict(task.files)


class DemoScript(Script):
    """The demo's answers, decided from each request (so the order runs happen in does not matter)."""

    def __init__(self) -> None:
        super().__init__(final_text="Done.")

    def default_reply(self, turn: Turn) -> Reply:
        text = f"{turn.context}\n{turn.last_user_text}"
        if any(marker in text for marker in _REVIEW_MARKERS):
            return Text(_review(turn.last_user_text))
        task = next((t for t in TASKS if t.title in turn.last_user_text), None)
        if task is None:
            return Text("This scripted model only knows the demo's tasks; it has nothing to write for this one.")
        files = answer_files(task, turn.model)
        intro = f"{task.title.split(':')[0]}, with tests ({', '.join(files)}):\n\n"
        return Text(intro + "".join(whole_file(path, content) for path, content in files.items()))


def _review(request: str) -> str:
    found = _TASK_LINE.search(request)
    title = found.group(2).strip() if found else "the change"
    summary = f"Reviewed '{title}': the change does what it asks, with tests that cover it."
    return json.dumps({"verdict": "approved", "summary": summary, "findings": []})
