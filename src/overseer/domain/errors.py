"""Every refusal Overseer makes is one of these. Catch ``OverseerError`` to catch them all.

Hierarchy::

    OverseerError                    base; ``str(err)`` says what, where and what to do
    ├── NotFound                     an id that names nothing
    │   ├── TaskNotFound
    │   ├── RunNotFound
    │   ├── KnowledgeNotFound        a knowledge ("brain") entry (``.entry_id``)
    │   └── UnknownSkill             a skill name no built-in or user skill has (``.name``, ``.known``)
    ├── GraphError                   the task graph would become wrong
    │   ├── CycleError               a gating dependency would close a loop (``.path``)
    │   └── DependencyError          self-dependency, duplicate or missing dependency
    ├── TransitionError              a status move the state machine forbids
    ├── ClaimError                   a claim, heartbeat or release that did not hold
    ├── ValidationError              a value out of range (priority, title…) (``.field``)
    ├── ConfigError                  overseer.yaml is wrong (``.path``, ``.line``)
    ├── ImportFormatError            a bad line in an imported file (``.line_no``)
    ├── StoreError                   the database could not be used (unreachable, wrong schema)
    ├── ModelError                   a direct model call did not give a usable answer
    │   ├── RateLimited              the provider said its limit is reached (``.reset_at`` when it said when)
    │   └── QuotaExhausted           no provider on the call's chain has room now (``.tried``, ``.retry_at``)
    └── PlanError                    the planning model's plan failed its schema twice; nothing stored (``.errors``)

Nothing is changed by an operation that raises: stores run each change in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence


class OverseerError(Exception):
    """Base of every error Overseer raises on purpose."""


class NotFound(OverseerError):
    pass


class TaskNotFound(NotFound):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"no task with id {task_id!r} (list them with `overseer task list`)")
        self.task_id = task_id


class RunNotFound(NotFound):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r} (list them with `overseer runs`)")
        self.run_id = run_id


class KnowledgeNotFound(NotFound):
    def __init__(self, entry_id: str) -> None:
        super().__init__(f"no knowledge entry with id {entry_id!r} (find them with `overseer brain search WORDS`)")
        self.entry_id = entry_id


class UnknownSkill(NotFound):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"no skill named {name!r} (skills: {', '.join(known) or 'none'}; list them with `overseer skill list`)")
        self.name, self.known = name, tuple(known)


class GraphError(OverseerError):
    pass


class CycleError(GraphError):
    def __init__(self, path: Sequence[str]) -> None:
        loop = " -> ".join(path)
        super().__init__(f"refused: the dependency would make a cycle: {loop}")
        self.path = tuple(path)


class DependencyError(GraphError):
    pass


class TransitionError(OverseerError):
    def __init__(self, task_id: str, current: str, target: str, allowed: Sequence[str]) -> None:
        options = ", ".join(allowed) or "none"
        super().__init__(f"task {task_id} cannot go from {current} to {target} (from {current} it may go to: {options})")
        self.task_id, self.current, self.target = task_id, current, target


class ClaimError(OverseerError):
    pass


class ValidationError(OverseerError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ConfigError(OverseerError):
    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path, self.line = path, line


class ImportFormatError(OverseerError):
    def __init__(self, source: str, line_no: int, message: str) -> None:
        super().__init__(f"{source}:{line_no}: {message}")
        self.source, self.line_no = source, line_no


class StoreError(OverseerError):
    pass


class ModelError(OverseerError):
    pass


class RateLimited(ModelError):
    def __init__(self, message: str, reset_at: object = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at  # a datetime (UTC) when the provider said when the limit resets


class QuotaExhausted(ModelError):
    def __init__(self, message: str, tried: Sequence[str] = (), retry_at: object = None) -> None:
        super().__init__(message + (" — tried: " + "; ".join(tried) if tried else ""))
        self.tried = tuple(tried)
        self.retry_at = retry_at


class PlanError(OverseerError):
    """A plan that failed its schema after one retry with the errors (``.errors``: ``path: message`` each); nothing stored."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message + ("".join(f"\n  - {e}" for e in errors[:20]) if errors else ""))
        self.errors = tuple(errors)
