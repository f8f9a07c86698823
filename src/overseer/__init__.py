"""Overseer: a supervisor for AI coding agents."""

from overseer.domain import (
    Dependency,
    DepType,
    OverseerError,
    Task,
    TaskKind,
    TaskStatus,
)

__version__ = "0.1.0"

__all__ = ["DepType", "Dependency", "OverseerError", "Task", "TaskKind", "TaskStatus", "__version__"]
