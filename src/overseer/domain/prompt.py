"""The prompt an agent gets for a task: what to do, how to know it is done, where to look, what went wrong before."""

from __future__ import annotations

from collections.abc import Sequence

from overseer.domain.models import Task

COMMIT_INSTRUCTION = (
    "When the change is complete, commit it with git (a short message that names the task id). "
    "Do not push. Work only inside the current directory."
)


def build_prompt(task: Task, *, conventions: str | None = None, conventions_file: str | None = None,
                 feedback: Sequence[str] = (), knowledge: str = "") -> str:
    """The prompt; ``knowledge`` is a rendered ``## Relevant knowledge`` section (``domain.knowledge.relevant_section``)."""
    parts = [f"# Task {task.id}: {task.title}"]
    if task.body.strip():
        parts.append(task.body.strip())
    if task.acceptance:
        parts.append("## Acceptance criteria\n" + "\n".join(f"- {a}" for a in task.acceptance))
    if task.file_hints:
        parts.append("## Files to look at first\n" + "\n".join(f"- {f}" for f in task.file_hints))
    if knowledge.strip():
        parts.append(knowledge.strip())
    if conventions and conventions.strip():
        parts.append(f"## Project conventions (from {conventions_file or 'the repository'})\n{conventions.strip()}")
    if feedback:
        parts.append("## Feedback from earlier attempts\n" + "\n".join(f"- {f}" for f in feedback))
    parts.append("## When done\n" + COMMIT_INSTRUCTION)
    return "\n\n".join(parts) + "\n"
