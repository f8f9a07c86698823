"""Claude Code (``claude``, npm ``@anthropic-ai/claude-code``): ``claude -p … --output-format stream-json``.

Options: ``base_url`` (else ``ANTHROPIC_BASE_URL`` of the profile's env), ``permission_mode`` (``bypass``, the
default, uses ``--dangerously-skip-permissions`` with ``IS_SANDBOX=1`` so it also works as root; any other value
is passed to ``--permission-mode``), ``max_retries`` (``CLAUDE_CODE_MAX_RETRIES``, default 0: Overseer
retries, not the harness), ``resume`` (a session id), ``mcp_config`` (a file; used with ``--strict-mcp-config``).

Output lines: ``system/init``, ``assistant`` (content blocks), ``user`` (tool results), ``system/api_retry``,
and a final ``result``; an API error still ends in ``result`` with ``is_error`` and ``api_error_status``.
"""

from __future__ import annotations

from typing import Any

from overseer.agents.common import (
    HarnessBase,
    LineParser,
    as_dict,
    as_float,
    as_int,
    as_str,
    error_event,
    json_object,
    merged_options,
    option_int,
    option_str,
)
from overseer.domain.runs import AgentEvent, Cost, ErrorEvent, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from overseer.ports import Invocation, RunSpec

__all__ = ["ClaudeCode", "ClaudeCodeParser"]


class ClaudeCode(HarnessBase):
    name = "claude-code"
    binary = "claude"
    credential_env = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")

    def build(self, spec: RunSpec) -> Invocation:
        options = merged_options(self.options, spec)
        argv = [self.binary, "-p", "--output-format", "stream-json", "--verbose"]
        mode = option_str(options, "permission_mode", "bypass")
        argv += ["--dangerously-skip-permissions"] if mode == "bypass" else ["--permission-mode", str(mode)]
        if spec.model:
            argv += ["--model", spec.model]
        if spec.max_turns:
            argv += ["--max-turns", str(spec.max_turns)]
        if resume := option_str(options, "resume"):
            argv += ["--resume", resume]
        if mcp := option_str(options, "mcp_config"):
            argv += ["--mcp-config", mcp, "--strict-mcp-config"]
        argv += [*spec.args, "--", spec.prompt]
        env = {
            "HOME": str(spec.home),
            "IS_SANDBOX": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "CLAUDE_CODE_MAX_RETRIES": str(option_int(options, "max_retries", 0)),
        }
        if url := self.base_url(spec, "ANTHROPIC_BASE_URL"):
            env["ANTHROPIC_BASE_URL"] = url
        return Invocation(argv=tuple(argv), env={**env, **spec.env})

    def parser(self) -> ClaudeCodeParser:
        return ClaudeCodeParser()


class ClaudeCodeParser(LineParser):
    harness = "claude-code"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._usage_seen: set[str] = set()  # message ids: one message may come as several lines, usage repeated
        self._pending_error: str | None = None  # an API error Claude reports as a synthetic assistant message

    def parse(self, text: str) -> list[AgentEvent]:
        obj = json_object(text)
        if obj is None:
            return [TextEvent(text, role="raw")]
        kind = obj.get("type")
        if kind == "system":
            return self._system(obj)
        if kind == "assistant":
            return self._assistant(obj)
        if kind == "user":
            return self._user(obj)
        if kind == "result":
            return self._result(obj)
        return []

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        if self.result is not None or self._pending_error is None:
            return []
        return [error_event(self._pending_error, None, self.clock)]

    def _system(self, obj: dict[str, Any]) -> list[AgentEvent]:
        subtype = obj.get("subtype")
        if subtype == "init":
            return [Started(session_id=as_str(obj.get("session_id")), model=as_str(obj.get("model")))]
        if subtype == "api_retry":
            status = as_int(obj.get("error_status")) or None
            delay = as_int(obj.get("retry_delay_ms")) / 1000
            what = as_str(obj.get("error")) or "api error"
            message = f"{what} (HTTP {status}); retry {as_int(obj.get('attempt'))} of {as_int(obj.get('max_retries'))} in {delay:g} s"
            if status == 429 or what == "rate_limit":
                return [error_event(message, 429, self.clock, reset_in=delay)]
            return [ErrorEvent(message, status=status)]
        return []

    def _assistant(self, obj: dict[str, Any]) -> list[AgentEvent]:
        message = as_dict(obj.get("message"))
        blocks = [as_dict(b) for b in message.get("content", []) if isinstance(b, dict)] if isinstance(message.get("content"), list) else []
        if obj.get("error"):
            self._pending_error = " ".join(t for b in blocks if (t := as_str(b.get("text")))) or str(obj["error"])
            return []
        events: list[AgentEvent] = []
        for block in blocks:
            kind = block.get("type")
            if kind == "text" and (text := as_str(block.get("text"))):
                events.append(TextEvent(text))
            elif kind == "thinking" and (thought := as_str(block.get("thinking"))):
                events.append(TextEvent(thought, role="thinking"))
            elif kind == "tool_use":
                events.append(ToolUse(str(block.get("name", "")), as_dict(block.get("input")), as_str(block.get("id"))))
        message_id = as_str(message.get("id")) or ""
        if isinstance(message.get("usage"), dict) and message_id not in self._usage_seen:
            self._usage_seen.add(message_id)
            tokens_in, tokens_out = _tokens(message["usage"])
            events.append(Usage(tokens_in, tokens_out, model=as_str(message.get("model"))))
        return events

    def _user(self, obj: dict[str, Any]) -> list[AgentEvent]:
        content = as_dict(obj.get("message")).get("content")
        if not isinstance(content, list):
            return []
        return [
            ToolResult(_tool_output(block.get("content")), is_error=block.get("is_error") is True, id=as_str(block.get("tool_use_id")))
            for block in content
            if isinstance(block, dict) and block.get("type") == "tool_result"
        ]

    def _result(self, obj: dict[str, Any]) -> list[AgentEvent]:
        events: list[AgentEvent] = []
        is_error = obj.get("is_error") is not False
        text = as_str(obj.get("result")) or "; ".join(e for e in obj.get("errors", []) if isinstance(e, str))
        cost = as_float(obj.get("total_cost_usd"))
        if cost is not None:
            events.append(Cost(cost))
        status = as_int(obj.get("api_error_status")) or None
        if is_error and (status is not None or self._pending_error is not None):
            events.append(error_event(self._pending_error or text, status, self.clock))
        self._pending_error = None
        tokens_in, tokens_out = _tokens(as_dict(obj.get("usage")))
        turns = obj.get("num_turns")
        events.append(
            Result(
                success=not is_error,
                text=text or str(obj.get("subtype", "")),
                turns=as_int(turns) if turns is not None else None,
                session_id=as_str(obj.get("session_id")),
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                cost_usd=cost,
            )
        )
        return events


def _tokens(usage: dict[str, Any]) -> tuple[int, int]:
    """Input tokens including cache reads and writes (all were sent), and output tokens."""
    sent = sum(as_int(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    return sent, as_int(usage.get("output_tokens"))


def _tool_output(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(t for block in content if (t := as_str(as_dict(block).get("text"))))
    return ""
