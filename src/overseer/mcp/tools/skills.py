"""The skills as tools: ``skill_review``, ``skill_debug``, ``skill_spec``, ``skill_tdd``, ``skill_retrospective``.

Each runs one discipline (``overseer.skills``) as one model call: the shared protocol and the discipline, what the
knowledge store knows about the request, and the session's earlier calls. The project's ``skills.folder`` may override a
discipline; its own extra skills stay on the CLI (``overseer skill run``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field, StringConstraints

from overseer.api.schemas import NO_NUL, PRINTABLE, TaskId
from overseer.bootstrap import open_skills
from overseer.mcp.shapes import SkillOut
from overseer.mcp.tooling import add, caller
from overseer.service import Supervisor

Request = Annotated[str, StringConstraints(min_length=1, max_length=100_000, pattern=NO_NUL),
                    Field(description="What the skill should work on, complete: paste the diff, the error, the code or the "
                                      "request itself; the model sees nothing else of your context.")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE)]
ModelName = Annotated[Name | None, Field(description="A profile or model from list_models (default: the skill's chain in "
                                                     "overseer.yaml, else routed by the skill's work type).")]
Session = Annotated[Name | None, Field(description="Name a session to give the model your earlier calls in it (a conversation).")]
ForTask = Annotated[TaskId | None, Field(description="The task this is for (recorded with the call).")]

#: skill name -> (title, description a model reads)
SKILLS: dict[str, tuple[str, str]] = {
    "review": ("Review a change", """Review a change, a diff or a design for correctness, security, tests and readability; every
finding gets a severity (critical, high, medium, low) and a place.

Use this before merging, or when asked "is this right?". Paste the diff or the code in `prompt`. Do not use it to find
the cause of a failure (use skill_debug)."""),
    "debug": ("Debug a failure", """Find the cause of a failure (an error, a wrong result, a flaky test, a hang) by hypotheses
and experiments, and propose the fix and the test that proves it.

Use this when something breaks and the cause is not obvious. Put the error, the stack trace, what you tried and the code
involved in `prompt`. Do not use it for a general review (use skill_review)."""),
    "spec": ("Write a specification", """Turn a rough request into a specification an agent can implement and a reviewer can
check: scope, behaviour, interfaces, errors, acceptance criteria and tasks.

Use this before work starts on anything bigger than a small fix. Do not use it to store a plan of phases in the task
graph (use plan_request) or for a test plan (use skill_tdd)."""),
    "tdd": ("Plan tests first", """Plan and drive a change test first (red, green, refactor): the tests that pin the
behaviour and the order to write them in.

Use this before implementing a feature or fixing a bug. Describe the behaviour wanted and the code involved in
`prompt`. Do not use it to review finished code (use skill_review)."""),
    "retrospective": ("Look back at finished work", """Look back at a finished piece of work (a run, a task, an epic, an
incident): what went well and badly, and knowledge entries worth keeping for future agents.

Use this after work lands or fails. Save the entries it proposes with brain_write. Do not use it while the work is still
going on (use skill_debug when it is stuck)."""),
}

SkillTool = Callable[..., SkillOut]


def register(server: MCPServer, sup: Supervisor) -> None:
    for name, (title, description) in SKILLS.items():
        tool = _skill_tool(sup, name)
        tool.__name__ = tool.__qualname__ = f"skill_{name}"
        tool.__doc__ = description
        add(server, tool, title=title, open_world=True)


def _skill_tool(sup: Supervisor, name: str) -> SkillTool:
    def run(ctx: Context, prompt: Request, model: ModelName = None, session: Session = None, task_id: ForTask = None) -> SkillOut:
        result = open_skills(sup, actor=caller(ctx)).run(name, prompt, model=model, session=session, task_id=task_id)
        return SkillOut.model_validate(result.to_dict())

    return run
