"""Any command as a harness: ``options["command"]`` is an argv template.

``{prompt}``, ``{workdir}``, ``{model}`` and ``{run_id}`` are replaced in every element (other braces are left
alone, so JSON arguments pass unchanged). The run also gets ``OVERSEER_RUN_ID``, ``OVERSEER_WORKDIR`` and,
with a model, ``OVERSEER_MODEL``; HOME is the run's home. ``options["credential_env"]`` (a list) names the
credentials it needs (default: none).

Output: every line is a ``TextEvent(role="raw")``, except JSON lines that say more — ``{"type": "result", ...}``
(``success`` or ``is_error``, ``result``/``text``, ``num_turns``/``turns``, ``session_id``, ``usage``,
``total_cost_usd``/``cost_usd``) becomes a ``Result``; one with ``usage`` (``input_tokens``/``prompt_tokens``,
``output_tokens``/``completion_tokens``) a ``Usage``. Without a result line, the exit code decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from overseer.agents.common import HarnessBase, LineParser, as_dict, as_float, as_int, as_str, json_object
from overseer.domain import ValidationError
from overseer.domain.runs import AgentEvent, Cost, Result, TextEvent, Usage
from overseer.ports import Invocation, RunSpec

__all__ = ["Command", "CommandParser"]

PLACEHOLDERS = ("prompt", "workdir", "model", "run_id")


def _template(options: Mapping[str, Any]) -> list[str]:
    command = options.get("command")
    if not isinstance(command, Sequence) or isinstance(command, str) or not command or not all(isinstance(a, str) for a in command):
        raise ValidationError(
            "options.command",
            f"the command harness needs an argv template, a non-empty list of strings such as ['my-agent', '--task', '{{prompt}}'];"
            f" got {command!r}",
        )
    return list(command)


class Command(HarnessBase):
    name = "command"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        command = self.options.get("command")
        self.binary = command[0] if isinstance(command, list | tuple) and command and isinstance(command[0], str) else ""
        names = self.options.get("credential_env", ())
        self.credential_env = tuple(n for n in names if isinstance(n, str)) if isinstance(names, list | tuple) else ()

    def build(self, spec: RunSpec) -> Invocation:
        template = _template({**self.options, **spec.options})
        values = {"prompt": spec.prompt, "workdir": str(spec.workdir), "model": spec.model or "", "run_id": spec.run_id}
        argv = [_fill(part, values) for part in template] + list(spec.args)
        env = {"HOME": str(spec.home), "OVERSEER_RUN_ID": spec.run_id, "OVERSEER_WORKDIR": str(spec.workdir)}
        if spec.model:
            env["OVERSEER_MODEL"] = spec.model
        return Invocation(argv=tuple(argv), env={**env, **spec.env})

    def parser(self) -> CommandParser:
        return CommandParser()


def _fill(part: str, values: Mapping[str, str]) -> str:
    for key in PLACEHOLDERS:
        part = part.replace("{" + key + "}", values[key])
    return part


def _usage(usage: dict[str, Any]) -> tuple[int, int]:
    tokens_in = as_int(usage.get("input_tokens")) or as_int(usage.get("prompt_tokens")) or as_int(usage.get("tokens_in"))
    tokens_out = as_int(usage.get("output_tokens")) or as_int(usage.get("completion_tokens")) or as_int(usage.get("tokens_out"))
    return tokens_in, tokens_out


class CommandParser(LineParser):
    harness = "command"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens: tuple[int, int] | None = None  # summed usage lines, for a result line that gives none

    def parse(self, text: str) -> list[AgentEvent]:
        obj = json_object(text)
        if obj is None:
            return [TextEvent(text, role="raw")]
        if obj.get("type") == "result":
            return self._result(obj)
        if isinstance(obj.get("usage"), dict):
            tokens_in, tokens_out = _usage(obj["usage"])
            seen = self._tokens or (0, 0)
            self._tokens = (seen[0] + tokens_in, seen[1] + tokens_out)
            return [Usage(tokens_in, tokens_out)]
        return [TextEvent(text, role="raw")]

    def _result(self, obj: dict[str, Any]) -> list[AgentEvent]:
        success = obj["success"] is True if "success" in obj else obj.get("is_error") is False
        cost = as_float(obj.get("total_cost_usd", obj.get("cost_usd")))
        usage = as_dict(obj.get("usage"))
        tokens: tuple[int | None, int | None] = _usage(usage) if usage else self._tokens or (None, None)
        turns = obj.get("num_turns", obj.get("turns"))
        events: list[AgentEvent] = [Cost(cost)] if cost is not None else []
        result = Result(
            success=success,
            text=as_str(obj.get("result")) or as_str(obj.get("text")) or "",
            turns=as_int(turns) if turns is not None else None,
            session_id=as_str(obj.get("session_id")),
            tokens_in=tokens[0],
            tokens_out=tokens[1],
            cost_usd=cost,
        )
        return [*events, result]

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        if self.result is not None:
            return []
        text = "" if exit_code == 0 else self.missing_result(exit_code)
        return [Result(success=exit_code == 0, text=text)]
