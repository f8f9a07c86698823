"""Harness adapters: one module per agent CLI, chosen by name through ``registry``.

Each adapter implements ``overseer.ports.Harness``: ``build(spec)`` turns a ``RunSpec`` into an ``Invocation``
(argv, env additions, per-run config files) and ``parser()`` returns a fresh ``StreamParser`` that maps the
harness's output, line by line, to typed ``AgentEvent``s and always ends them with a ``Result``.
"""

from overseer.agents.registry import ENTRY_POINT_GROUP, find_binary, get_harness, harness_version, known_harnesses

__all__ = ["ENTRY_POINT_GROUP", "find_binary", "get_harness", "harness_version", "known_harnesses"]
