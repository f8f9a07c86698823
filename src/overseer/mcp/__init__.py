"""Overseer as an MCP server (the official ``mcp`` SDK, 2.x): ``overseer mcp`` over stdio, ``/mcp`` of ``overseer serve``
over streamable HTTP. A front end: everything concrete comes through ``bootstrap``.

=====================  ==================================================================================
task_create            file new work in the task graph
task_ready             what can start now, in the order it will be taken
task_claim             take a task (or the most urgent ready one) under a lease
task_update            status moves (running, done, cancelled…) and field changes, in one step
task_show              one task, its dependencies both ways, its children
approve                lift a start gate, release a plan phase, land a gated change, merge an epic
plan_request           review -> plan -> store: a request as an epic of phases awaiting approval
quota_status           every provider's windows: used, limit, resets, parked
list_models            the profiles, their provider and model, and whether the quota has room now
ask_model              one direct model call to a profile (or a model a profile uses)
skill_review, skill_debug, skill_spec, skill_tdd, skill_retrospective
                       one discipline as one model call, with relevant knowledge and the session's history
brain_write            a note for future agents
brain_query            notes by full text (search syntax is plain text)
=====================  ==================================================================================

A refusal (an ``OverseerError``) is the tool's error result, ``<Kind>: <message>``; bad arguments are refused by the
SDK naming the field. Mutations are recorded as actor ``mcp:<client name>`` (``mcp`` when the client gave none).
"""

from overseer.mcp.http import HttpEndpoint, mount
from overseer.mcp.server import build_server, serve_stdio

__all__ = ["HttpEndpoint", "build_server", "mount", "serve_stdio"]
