"""Plans the scripted planning model answers with: a good one, and ways of getting it wrong."""

from __future__ import annotations

import copy
import json
from typing import Any

GOOD: dict[str, Any] = {
    "summary": "Multiplication first, then subtraction and its docs.",
    "phases": [
        {"title": "Multiplication", "goal": "mul works and is tested", "tasks": [
            {"key": "mul", "title": "Add mul", "description": "Add mul(a, b) to calc.py.", "complexity": "simple",
             "acceptance": ["mul(2, 3) == 6"], "file_hints": ["calc.py"]},
            {"key": "mul-tests", "title": "Test mul", "description": "Cover mul with tests.", "complexity": "medium",
             "work_type": "verification", "acceptance": ["pytest passes"], "depends_on": ["mul"]},
        ]},
        {"title": "Subtraction", "goal": "sub works", "tasks": [
            {"key": "sub", "title": "Add sub", "description": "Add sub(a, b).", "complexity": "complex", "depends_on": ["mul"]},
            {"key": "docs", "title": "Document the calculator", "description": "README section.", "complexity": "simple"},
        ]},
    ],
}


def text(plan: dict[str, Any] | None = None) -> str:
    return json.dumps(plan if plan is not None else GOOD)


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """GOOD with the value at ``path`` (keys and indexes) replaced."""
    plan = copy.deepcopy(GOOD)
    node: Any = plan
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return plan


BAD_ENUM = changed(("phases", 1, "tasks", 0, "complexity"), "huge")
TRUNCATED = text()[: len(text()) // 2]
