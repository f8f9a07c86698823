"""``overseer mcp``: Overseer as an MCP server on stdin/stdout, for clients that start their servers (Claude Code,
mcporter, editors). Only protocol messages go to stdout; logs and errors go to stderr."""

from __future__ import annotations

import contextlib
import logging

from overseer.cli.common import RepoOpt, supervisor


def mcp(repo: RepoOpt = None) -> None:
    """Serve MCP over stdio (tools: tasks, plans, approvals, models and quota, skills, the knowledge store) until the
    client closes stdin. Over HTTP, `overseer serve` answers MCP at /mcp."""
    import anyio

    from overseer.mcp import serve_stdio  # the SDK takes a third of a second to import: only this command pays for it

    logging.basicConfig(level=logging.WARNING, format="overseer mcp: %(levelname)s %(name)s: %(message)s")  # to stderr
    with supervisor(False, repo) as sup, contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve_stdio, sup)
