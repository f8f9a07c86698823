"""The tools, one module per group; each module's ``register(server, sup)`` adds its tools to the server."""

from overseer.mcp.tools import brain, models, plan, skills, tasks

GROUPS = (tasks, plan, models, skills, brain)

__all__ = ["GROUPS"]
