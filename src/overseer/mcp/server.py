"""``build_server``: Overseer as an MCP server (the official SDK's ``MCPServer``) over one supervisor.

The same server runs over stdio (``overseer mcp``, ``serve_stdio``) and over streamable HTTP at ``/mcp`` of
``overseer serve`` (``overseer.mcp.http``). Tools are plain functions; the SDK runs each in a worker thread, so store
and git work never blocks the event loop.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from overseer import __version__
from overseer.mcp.tools import GROUPS
from overseer.service import Supervisor

NAME = "overseer"
INSTRUCTIONS = """Overseer supervises AI coding agents on this repository: a task graph (tasks, dependencies, epics),
agents that run ready tasks within each provider's quota, verification before anything lands, approval gates for people,
and a knowledge store that later agents read.

- Work: task_ready shows what can start; task_claim takes a task; task_update reports progress and finishes it
  (status running, then done); task_create files new work; task_show reads one task.
- Big requests: plan_request turns one into phases of tasks, each phase waiting for approve.
- Models: list_models and quota_status show what can be called now; ask_model asks one model; the skill_* tools
  (review, debug, spec, tdd, retrospective) run a discipline with what the knowledge store knows.
- Knowledge: brain_query before unfamiliar work; brain_write what future agents should know.

Errors name what was wrong (the id not found, the field at fault) and what to do; nothing is changed by a refused call."""


def build_server(sup: Supervisor) -> MCPServer:
    """The MCP server with every tool, over ``sup`` (which the caller opens and closes)."""
    server: MCPServer = MCPServer(NAME, title="Overseer", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    for group in GROUPS:
        group.register(server, sup)
    return server


async def serve_stdio(sup: Supervisor) -> None:
    """Serve MCP on this process's stdin and stdout until the client closes stdin. While serving, the SDK points fd 1 at
    stderr, so nothing but protocol messages reaches stdout."""
    await build_server(sup).run_stdio_async()
