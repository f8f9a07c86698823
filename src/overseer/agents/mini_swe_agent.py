"""mini-swe-agent (``mini``, PyPI ``mini-swe-agent``): ``mini -y --exit-immediately --task=PROMPT --model=M -c mini.yaml``.

mini talks to the model through LiteLLM with one ``bash`` tool and finishes when the model runs
``echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT``. It prints a console transcript, message by message, each under a
header line: ``mini-swe-agent (step N, $C):`` (the model), ``Tool:``, ``User:``, ``System:`` and, last,
``Exit:`` followed by the submission or the reason (``LimitsExceeded``, ``TimeExceeded``,
``RepeatedFormatError``, an exception). The parser follows those headers; a fenced block in a model message is
its ``bash`` call. The process exits 0 when the agent stopped by itself, 1 on an uncaught exception.

Options: ``base_url`` (else ``OPENAI_API_BASE``/``OPENAI_BASE_URL`` of the profile's env; passed as
``model.model_kwargs.api_base`` and the model gets the ``openai/`` prefix unless it names a provider),
``env_key`` (default ``OPENAI_API_KEY``), ``cost_limit`` (USD, default 0: none — Overseer enforces cost caps),
``max_retries`` (default 0). ``max_turns`` becomes ``agent.step_limit``. The trajectory is saved to
``<home>/trajectory.json``; the global config folder lives under the run's home.
"""

from __future__ import annotations

import re
from typing import Any

from overseer.agents.common import LineParser, OpenAICompatible, error_event, merged_options, option_float, option_int
from overseer.domain.runs import AgentEvent, Cost, Result, Started, TextEvent, ToolResult, ToolUse
from overseer.ports import Invocation, RunSpec

__all__ = ["MiniSweAgent", "MiniSweAgentParser"]

_STEP = re.compile(r"^mini-swe-agent \(step (\d+), \$([\d.]+)\):$")
_ROLE = re.compile(r"^(System|User|Tool|Exit|Assistant|Unknown):$")
_BANNER = re.compile(r"^This is mini-swe-agent version (\S+?)\.?$")
_SAVED = re.compile(r"^Saved trajectory to ")
_RULE = re.compile(r"^[─━-]{10,}$")
FAILED_EXITS = ("LimitsExceeded", "TimeExceeded", "RepeatedFormatError")


class MiniSweAgent(OpenAICompatible):
    name = "mini-swe-agent"
    binary = "mini"

    def build(self, spec: RunSpec) -> Invocation:
        options = merged_options(self.options, spec)
        home = spec.home
        argv = [self.binary, "--yolo", "--exit-immediately", f"--task={spec.prompt}", f"--output={home / 'trajectory.json'}"]
        url = self.base_url(spec, "OPENAI_API_BASE", "OPENAI_BASE_URL")
        if spec.model:
            argv.append(f"--model={spec.model if '/' in spec.model or not url else 'openai/' + spec.model}")
        argv += [f"--cost-limit={option_float(options, 'cost_limit', 0.0):g}", "-c", "mini.yaml"]
        retries = option_int(options, "max_retries", 0)
        argv += ["-c", f"model.model_kwargs.max_retries={retries}"]  # the OpenAI client's own retries, under mini's
        if url:
            argv += ["-c", f"model.model_kwargs.api_base={url}"]
        if spec.max_turns:
            argv += ["-c", f"agent.step_limit={spec.max_turns}"]
        argv += list(spec.args)
        env = {
            "HOME": str(home),
            "MSWEA_CONFIGURED": "true",
            "MSWEA_GLOBAL_CONFIG_DIR": str(home / ".config" / "mini-swe-agent"),
            "MSWEA_COST_TRACKING": "ignore_errors",
            "MSWEA_MODEL_RETRY_STOP_AFTER_ATTEMPT": str(1 + retries),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "COLUMNS": "500",  # rich wraps at the console width; keep lines whole
            "NO_COLOR": "1",
            "PAGER": "cat",
        }
        return Invocation(argv=tuple(argv), env={**env, **spec.env})

    def parser(self) -> MiniSweAgentParser:
        return MiniSweAgentParser()


class MiniSweAgentParser(LineParser):
    harness = "mini-swe-agent"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._role = "raw"
        self._block: list[str] = []  # lines of the current tool output, fence or exit message
        self._fence: str | None = None  # inside a fence: "tool" (a bash call) or "text"
        self._steps = 0
        self._cost = 0.0
        self._exit: list[str] | None = None
        self._last_text = ""

    def parse(self, text: str) -> list[AgentEvent]:
        if _BANNER.match(text):
            return [Started(), TextEvent(text, role="raw")]
        if step := _STEP.match(text):
            events = self._end_block()
            self._role, self._steps = "assistant", int(step.group(1))
            cost = float(step.group(2))
            if cost != self._cost:
                self._cost = cost
                events.append(Cost(cost))
            return events
        if role := _ROLE.match(text):
            events = self._end_block()
            self._role = role.group(1).lower()
            if self._role == "exit":
                self._exit = []
            return events
        if _RULE.match(text.strip()) or (_SAVED.match(text) and self._role == "exit"):
            events = self._end_block()
            self._role = "raw"
            return events
        return self._line(text)

    def _line(self, text: str) -> list[AgentEvent]:
        if self._role == "exit" and self._exit is not None:
            self._exit.append(text)
            return []
        if self._role == "tool" or self._fence == "tool":
            if self._fence == "tool" and text.strip() == "```":
                return self._end_block()
            self._block.append(text)
            return []
        if self._role == "assistant" and text.startswith("```"):
            if self._fence == "text":
                self._fence = None
            elif text.strip() == "```":  # mini shows a bash call as a bare fence; a fence with a language is prose
                self._fence = "tool"
                return []
            else:
                self._fence = "text"
        if self._role == "assistant":
            self._last_text = text
        return [TextEvent(text, role=self._role)]

    def _end_block(self) -> list[AgentEvent]:
        lines, self._block = self._block, []
        if self._fence == "tool":
            self._fence = None
            return [ToolUse("bash", {"command": "\n".join(lines)})]
        self._fence = None
        if self._role == "tool" and lines:
            return [_observation(lines)]
        return []

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        events = self._end_block()
        message = "\n".join(self._exit or []).strip()
        if self._exit is None:
            return [*events, Result(success=False, text=self.missing_result(exit_code), turns=self._steps, cost_usd=self._cost)]
        success = exit_code == 0 and message not in FAILED_EXITS
        if not success and message not in FAILED_EXITS:
            events.append(error_event(message or self.missing_result(exit_code), None, self.clock))
        text = (message or self._last_text) if success else message or self.missing_result(exit_code)
        return [*events, Result(success=success, text=text, turns=self._steps, cost_usd=self._cost)]


def _observation(lines: list[str]) -> ToolResult:
    """``<returncode>`` / ``0`` / ``<output>`` / … as mini prints a tool result (``<exception_info>`` when it failed)."""
    fields: dict[str, list[str]] = {}
    current = "output"
    for line in lines:
        tag = re.fullmatch(r"<(\w+)>", line.strip())
        if tag:
            current = tag.group(1)
            fields.setdefault(current, [])
        else:
            fields.setdefault(current, []).append(line)
    code = "".join(fields.get("returncode", [])).strip()
    output = "\n".join(fields.get("output", []) + fields.get("exception_info", [])).strip()
    return ToolResult(output, is_error=code not in ("0", ""))
