"""The knowledge store ("brain"): write a note, find notes by full text."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field, StringConstraints

from overseer.api.schemas import NO_NUL, TaskId
from overseer.bootstrap import open_brain
from overseer.domain.knowledge import MAX_BODY, MAX_TITLE
from overseer.mcp.shapes import KnowledgeFound, KnowledgeOut
from overseer.mcp.tooling import add, caller
from overseer.service import Supervisor

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=50)]


def register(server: MCPServer, sup: Supervisor) -> None:
    def brain_write(
        ctx: Context,
        title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE, pattern=NO_NUL),
                         Field(description="One line saying what the note is about (it weighs most in searches).")],
        body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY, pattern=NO_NUL),
                        Field(description="The note in markdown: the fact, why it holds, how to apply it, with file paths.")],
        tags: Annotated[Tags | None, Field(description="Tags such as 'testing' or 'db/migrations' (letters, digits, . _ / -).")] = None,
        source_task: Annotated[TaskId | None, Field(description="The task this was learnt on.")] = None,
    ) -> KnowledgeOut:
        """Save a note to Overseer's knowledge store, where future agents find it: it is quoted in the prompts of later
        tasks it is relevant to, and brain_query finds it.

        Use this for knowledge that will matter again: a convention of this codebase, the cause of a tricky failure and
        its fix, a command that must be run a certain way, a decision and its reason. Do not use it for work still to be
        done (use task_create) or for notes about one task (use task_update's notes).
        """
        entry = open_brain(sup, actor=caller(ctx)).add(title, body, tuple(tags or ()), source_task=source_task)
        return KnowledgeOut.model_validate(entry.to_dict())

    def brain_query(
        query: Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=NO_NUL),
                         Field(description="Words to look for; any may match. Quotes, OR, *, parentheses are read as plain "
                                           "text, not as search syntax.")],
        limit: Annotated[int, Field(ge=1, le=50, description="At most this many notes.")] = 5,
        tags: Annotated[Tags | None, Field(description="Keep only notes carrying every one of these tags.")] = None,
    ) -> KnowledgeFound:
        """Search Overseer's knowledge store by full text and get the best-matching notes, most relevant first (a match in
        the title counts most).

        Use this before starting work on an unfamiliar part of the codebase, or when something fails in a way others may
        have met: conventions, past causes and fixes, decisions. An empty result means nothing is known yet. Do not use it
        to look for tasks (use task_ready or task_show).
        """
        found = open_brain(sup).search(query, limit=limit, tags=tuple(tags or ()))
        return KnowledgeFound(query=query, count=len(found), entries=[KnowledgeOut.model_validate(e.to_dict()) for e in found])

    add(server, brain_write, title="Write to the knowledge store")
    add(server, brain_query, title="Search the knowledge store", read_only=True, idempotent=True)
