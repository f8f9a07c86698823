"""The shape of a plan the planning model must give, and the checks JSON Schema alone cannot make.

A plan is phases in order, each a list of tasks. A task names what it waits for in ``depends_on``: another task's ``key``
(or, when that task has none, its title), of its own phase or an earlier one. ``read_plan`` turns the model's reply into a
``Plan`` or raises ``PlanInvalid`` with every problem as ``path: message``, the path written the way a person finds it in
the JSON (``phases[1].tasks[0].complexity``), so the retry can show the model exactly what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from overseer.domain import Complexity, WorkType

__all__ = ["Plan", "PlanInvalid", "PlanPhase", "PlanTask", "TaskRef", "check_plan", "parse_reply", "path_of", "read_plan"]

TaskRef = tuple[int, int]  # (phase index, task index)


class _Model(BaseModel):
    # unknown fields are ignored: a model that adds "notes" gave a usable plan; what is there is checked strictly
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class PlanTask(_Model):
    key: str | None = Field(default=None, min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    complexity: Complexity
    work_type: WorkType = WorkType.IMPLEMENTATION
    acceptance: tuple[str, ...] = ()
    file_hints: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """How other tasks name this one: its key, else its title."""
        return self.key or self.title


class PlanPhase(_Model):
    title: str = Field(min_length=1, max_length=200)
    goal: str = ""
    tasks: tuple[PlanTask, ...] = Field(min_length=1)


class Plan(_Model):
    summary: str = ""
    phases: tuple[PlanPhase, ...] = Field(min_length=1)

    def tasks(self) -> Iterator[tuple[TaskRef, PlanTask]]:
        for p, phase in enumerate(self.phases):
            for t, task in enumerate(phase.tasks):
                yield (p, t), task

    def task(self, ref: TaskRef) -> PlanTask:
        return self.phases[ref[0]].tasks[ref[1]]

    def resolve(self, name: str) -> TaskRef | None:
        """The task ``name`` means: the one with that key, else the one (only) with that title."""
        by_key = [ref for ref, t in self.tasks() if t.key == name]
        if by_key:
            return by_key[0]
        by_title = [ref for ref, t in self.tasks() if t.key is None and t.title == name]
        return by_title[0] if len(by_title) == 1 else None

    def dependencies(self) -> dict[TaskRef, tuple[TaskRef, ...]]:
        """Each task's resolved dependencies (call on a checked plan: every name resolves)."""
        found: dict[TaskRef, tuple[TaskRef, ...]] = {}
        for ref, task in self.tasks():
            deps = (self.resolve(name) for name in task.depends_on)
            found[ref] = tuple(dict.fromkeys(d for d in deps if d is not None))
        return found


class PlanInvalid(ValueError):
    """A reply that is not a valid plan; ``problems`` are ``path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def read_plan(text: str) -> Plan:
    """The plan in the model's reply (the object alone, in a ```json fence, or among prose), checked."""
    return check_plan(parse_reply(text))


def parse_reply(text: str) -> dict[str, Any]:
    """The first JSON object of the reply with a "phases" key; a fenced block is read first when there is one."""
    if not text.strip():
        raise PlanInvalid(["reply: the reply is empty; answer with the plan as one JSON object"])
    fence = re.search(r"```(?:json)?[ \t]*\n(.*?)(?:```|\Z)", text, re.S)
    candidates = [fence.group(1), text] if fence else [text]
    first_error: json.JSONDecodeError | None = None
    decoder = json.JSONDecoder()
    for body in candidates:
        for match in re.finditer(r"\{", body):
            try:
                value, _ = decoder.raw_decode(body, match.start())
            except json.JSONDecodeError as err:
                first_error = first_error or err
                continue
            if isinstance(value, dict) and "phases" in value:
                return value
    if first_error is not None:
        raise _not_json(first_error)
    raise PlanInvalid(['reply: no JSON object with "phases" in the reply; answer with the plan as one JSON object only'])


def _not_json(err: json.JSONDecodeError) -> PlanInvalid:
    return PlanInvalid([f"reply: not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); if the reply was cut "
                       "off, give a shorter plan (fewer, larger tasks; shorter descriptions) as one complete JSON object"])


def check_plan(data: Any) -> Plan:
    """``data`` as a ``Plan``: the schema, then unique names, dependencies that exist, point back in order, and form no loop."""
    try:
        plan = Plan.model_validate(data)
    except PydanticValidationError as err:
        raise PlanInvalid([_pydantic_problem(e) for e in err.errors()]) from None
    problems = _name_problems(plan) or _dependency_problems(plan)
    if problems:
        raise PlanInvalid(problems)
    return plan


def path_of(loc: tuple[int | str, ...]) -> str:
    """``('phases', 1, 'tasks', 0, 'complexity')`` -> ``phases[1].tasks[0].complexity``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "plan"


def _pydantic_problem(error: Any) -> str:
    where = path_of(tuple(error["loc"]))
    if error["type"] == "missing":
        return f"{where}: required"
    got = f" (got {error['input']!r})" if error["type"] not in ("model_type", "too_short") else ""
    return f"{where}: {error['msg']}{got}"


def _where(ref: TaskRef) -> str:
    return f"phases[{ref[0]}].tasks[{ref[1]}]"


def _name_problems(plan: Plan) -> list[str]:
    problems: list[str] = []
    seen: dict[str, TaskRef] = {}
    for ref, task in plan.tasks():
        if task.ref in seen:
            field = "key" if task.key else "title"
            problems.append(f"{_where(ref)}.{field}: {task.ref!r} also names {_where(seen[task.ref])}; give every task a unique key")
        seen.setdefault(task.ref, ref)
    return problems


def _dependency_problems(plan: Plan) -> list[str]:
    problems: list[str] = []
    names = ", ".join(repr(t.ref) for _, t in plan.tasks())
    for ref, task in plan.tasks():
        for i, name in enumerate(task.depends_on):
            where, target = f"{_where(ref)}.depends_on[{i}]", plan.resolve(name)
            if target is None:
                problems.append(f"{where}: no task is named {name!r} (tasks: {names})")
            elif target == ref:
                problems.append(f"{where}: a task cannot depend on itself")
            elif target[0] > ref[0]:
                problems.append(f"{where}: {name!r} is in phase {target[0] + 1}, after this task's phase {ref[0] + 1}; phases run "
                                "in order, so a task may depend only on tasks of its own or an earlier phase")
    if problems:
        return problems
    loop = _cycle(plan.dependencies())
    if loop:
        chain = " -> ".join(repr(plan.task(r).ref) for r in loop)
        return [f"{_where(loop[0])}.depends_on: the dependencies make a cycle: {chain}"]
    return []


def _cycle(edges: dict[TaskRef, tuple[TaskRef, ...]]) -> list[TaskRef] | None:
    """A loop among ``edges`` as the path round it (first node repeated at the end), or None."""
    state: dict[TaskRef, int] = {}  # 1: on the current path, 2: finished
    path: list[TaskRef] = []

    def visit(node: TaskRef) -> list[TaskRef] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in edges:
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None
