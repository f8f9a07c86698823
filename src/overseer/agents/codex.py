"""Codex CLI (``codex``, npm ``@openai/codex``): ``codex exec --json … PROMPT``.

Each run gets its own ``CODEX_HOME`` (``<home>/.codex``) with a ``config.toml`` written by ``build``. With a base
URL (``options["base_url"]``, else ``OPENAI_BASE_URL`` of the profile's env) that file declares a provider
``options["provider"]`` (default ``overseer``) on the Responses wire API whose key comes from
``options["env_key"]`` (default ``OPENAI_API_KEY``, which is then the credential Overseer checks), with
``request_max_retries``/``stream_max_retries`` = ``options["max_retries"]`` (default 0).

Output lines: ``thread.started``, ``turn.started``, ``item.started``/``item.completed`` (``agent_message``,
``reasoning``, ``command_execution``, ``file_change``, ``mcp_tool_call``, ``error``…), ``error``,
``turn.completed {usage}`` and ``turn.failed {error}``. Codex has no turn limit flag; ``max_turns`` is ignored.
"""

from __future__ import annotations

import json
from typing import Any

from overseer.agents.common import (
    LineParser,
    OpenAICompatible,
    as_dict,
    as_int,
    as_str,
    error_event,
    json_object,
    merged_options,
    option_int,
    option_str,
)
from overseer.domain.runs import AgentEvent, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from overseer.ports import Invocation, RunSpec

__all__ = ["Codex", "CodexParser", "codex_config"]


class Codex(OpenAICompatible):
    name = "codex"
    binary = "codex"

    def build(self, spec: RunSpec) -> Invocation:
        options = merged_options(self.options, spec)
        codex_home = spec.home / ".codex"
        argv = [self.binary, "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox"]
        if spec.model:
            argv += ["-m", spec.model]
        argv += [*spec.args, "--", spec.prompt]
        config = codex_config(
            base_url=self.base_url(spec, "OPENAI_BASE_URL"),
            provider=option_str(options, "provider", "overseer") or "overseer",
            env_key=option_str(options, "env_key", "OPENAI_API_KEY") or "OPENAI_API_KEY",
            max_retries=option_int(options, "max_retries", 0),
            run_id=spec.run_id,
        )
        env = {"HOME": str(spec.home), "CODEX_HOME": str(codex_home)}
        return Invocation(argv=tuple(argv), env={**env, **spec.env}, files={codex_home / "config.toml": config})

    def parser(self) -> CodexParser:
        return CodexParser()


def codex_config(*, base_url: str | None, provider: str, env_key: str, max_retries: int, run_id: str) -> str:
    """The ``config.toml`` of one run (TOML basic strings are written as JSON strings, which TOML reads alike)."""
    lines = [f"# written by Overseer for run {run_id}", "[analytics]", "enabled = false", ""]
    if base_url:
        lines[1:1] = [f"model_provider = {json.dumps(provider)}", ""]
        lines += [
            f"[model_providers.{json.dumps(provider)}]",
            f"name = {json.dumps(provider)}",
            f"base_url = {json.dumps(base_url)}",
            'wire_api = "responses"',
            f"env_key = {json.dumps(env_key)}",
            f"request_max_retries = {max_retries}",
            f"stream_max_retries = {max_retries}",
            "",
        ]
    return "\n".join(lines)


class CodexParser(LineParser):
    harness = "codex"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: str | None = None
        self._started_tools: set[str] = set()
        self._turns = 0
        self._completed = False
        self._tokens = [0, 0]
        self._last_text = ""
        self._last_error: str | None = None

    def parse(self, text: str) -> list[AgentEvent]:
        obj = json_object(text)
        if obj is None:
            return [TextEvent(text, role="raw")]
        kind = obj.get("type")
        if kind == "thread.started":
            self._session = as_str(obj.get("thread_id"))
            return [Started(session_id=self._session)]
        if kind == "turn.started":
            self._turns += 1
            return []
        if kind == "item.started":
            return self._item_started(as_dict(obj.get("item")))
        if kind == "item.completed":
            return self._item_completed(as_dict(obj.get("item")))
        if kind == "error":
            return self._error(as_str(obj.get("message")) or "codex reported an error")
        if kind == "turn.completed":
            self._completed = True
            usage = as_dict(obj.get("usage"))
            tokens_in, tokens_out = as_int(usage.get("input_tokens")), as_int(usage.get("output_tokens"))
            self._tokens = [self._tokens[0] + tokens_in, self._tokens[1] + tokens_out]
            return [Usage(tokens_in, tokens_out)]
        if kind == "turn.failed":
            message = as_str(as_dict(obj.get("error")).get("message")) or "the turn failed"
            events = [] if message == self._last_error else self._error(message)
            return [*events, self._result(False, message)]
        return []

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        if self.result is not None:
            return []
        if self._completed and exit_code == 0:
            return [self._result(True, self._last_text)]
        return [self._result(False, self._last_error or self.missing_result(exit_code))]

    def _result(self, success: bool, text: str) -> Result:
        return Result(
            success=success, text=text, turns=self._turns, session_id=self._session, tokens_in=self._tokens[0], tokens_out=self._tokens[1]
        )

    def _error(self, message: str) -> list[AgentEvent]:
        self._last_error = message
        return [error_event(message, None, self.clock)]

    def _item_started(self, item: dict[str, Any]) -> list[AgentEvent]:
        use = _tool_use(item)
        if use is None:
            return []
        self._started_tools.add(str(item.get("id")))
        return [use]

    def _item_completed(self, item: dict[str, Any]) -> list[AgentEvent]:
        kind = item.get("type")
        if kind == "agent_message":
            self._last_text = as_str(item.get("text")) or ""
            return [TextEvent(self._last_text)] if self._last_text else []
        if kind == "reasoning":
            thought = as_str(item.get("text"))
            return [TextEvent(thought, role="thinking")] if thought else []
        if kind == "error":
            return self._error(as_str(item.get("message")) or "codex reported an error")
        use = _tool_use(item)
        if use is None:
            return []
        events: list[AgentEvent] = [] if str(item.get("id")) in self._started_tools else [use]
        return [*events, _tool_result(item)]


def _tool_use(item: dict[str, Any]) -> ToolUse | None:
    kind, item_id = item.get("type"), as_str(item.get("id"))
    if kind == "command_execution":
        return ToolUse("command_execution", {"command": item.get("command", "")}, item_id)
    if kind == "file_change":
        return ToolUse("file_change", {"changes": item.get("changes", [])}, item_id)
    if kind == "mcp_tool_call":
        name = f"{item.get('server', '')}.{item.get('tool', '')}"
        return ToolUse(name, as_dict(item.get("arguments")), item_id)
    if kind == "web_search":
        return ToolUse("web_search", {"query": item.get("query", "")}, item_id)
    return None


def _tool_result(item: dict[str, Any]) -> ToolResult:
    status = item.get("status")
    failed = status == "failed" or (item.get("exit_code") not in (None, 0))
    output = item.get("aggregated_output")
    if output is None:
        result = item.get("result") if item.get("result") is not None else item.get("error")
        output = result if isinstance(result, str) else json.dumps(result) if result is not None else str(status or "")
    return ToolResult(str(output), is_error=failed, id=as_str(item.get("id")))
