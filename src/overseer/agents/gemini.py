"""Gemini CLI (``gemini``, npm ``@google/gemini-cli``): ``gemini --prompt=… --output-format stream-json --yolo``.

``build`` writes ``<home>/.gemini/settings.json``: API-key auth, no auto-update, no usage statistics or telemetry,
``general.maxAttempts`` = 1 + ``options["max_retries"]`` (default 0; the CLI caps it at 10) and
``model.maxSessionTurns`` from ``max_turns``. The base URL (``options["base_url"]``, else
``GOOGLE_GEMINI_BASE_URL`` of the profile's env) goes to ``GOOGLE_GEMINI_BASE_URL``; the workspace is trusted
through ``GEMINI_CLI_TRUST_WORKSPACE=true``. ``options["approval_mode"]`` (default ``yolo``) is passed on.

Output lines: ``init``, ``message`` (user echo, assistant deltas), ``tool_use``, ``tool_result``, ``error``
(warnings), and ``result {status, error?, stats}``.
"""

from __future__ import annotations

import json
from typing import Any

from overseer.agents.common import (
    HarnessBase,
    LineParser,
    as_dict,
    as_int,
    as_str,
    error_event,
    json_object,
    merged_options,
    option_int,
    option_str,
)
from overseer.domain.runs import AgentEvent, ErrorEvent, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from overseer.ports import Invocation, RunSpec

__all__ = ["Gemini", "GeminiParser", "gemini_settings"]


class Gemini(HarnessBase):
    name = "gemini"
    binary = "gemini"
    credential_env = ("GEMINI_API_KEY",)

    def build(self, spec: RunSpec) -> Invocation:
        options = merged_options(self.options, spec)
        argv = [self.binary, f"--prompt={spec.prompt}", "--output-format", "stream-json"]
        argv += [f"--approval-mode={option_str(options, 'approval_mode', 'yolo')}"]
        if spec.model:
            argv += ["--model", spec.model]
        argv += list(spec.args)
        env = {"HOME": str(spec.home), "GEMINI_CLI_TRUST_WORKSPACE": "true"}
        if url := self.base_url(spec, "GOOGLE_GEMINI_BASE_URL"):
            env["GOOGLE_GEMINI_BASE_URL"] = url
        settings = gemini_settings(max_attempts=1 + option_int(options, "max_retries", 0), max_turns=spec.max_turns)
        return Invocation(argv=tuple(argv), env={**env, **spec.env}, files={spec.home / ".gemini" / "settings.json": settings})

    def parser(self) -> GeminiParser:
        return GeminiParser()


def gemini_settings(*, max_attempts: int, max_turns: int | None) -> str:
    settings: dict[str, Any] = {
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False, "maxAttempts": max(1, min(max_attempts, 10))},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }
    if max_turns:
        settings["model"] = {"maxSessionTurns": max_turns}
    return json.dumps(settings, indent=2) + "\n"


class GeminiParser(LineParser):
    harness = "gemini"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: str | None = None
        self._text: list[str] = []

    def parse(self, text: str) -> list[AgentEvent]:
        obj = json_object(text)
        if obj is None:
            return [TextEvent(text, role="raw")]
        kind = obj.get("type")
        if kind == "init":
            self._session = as_str(obj.get("session_id"))
            return [Started(session_id=self._session, model=as_str(obj.get("model")))]
        if kind == "message":
            content = as_str(obj.get("content"))
            if obj.get("role") != "assistant" or not content:
                return []
            self._text.append(content)
            return [TextEvent(content)]
        if kind == "tool_use":
            return [ToolUse(str(obj.get("tool_name", "")), as_dict(obj.get("parameters")), as_str(obj.get("tool_id")))]
        if kind == "tool_result":
            return [self._tool_result(obj)]
        if kind == "error":
            return [ErrorEvent(as_str(obj.get("message")) or "gemini reported an error")]
        if kind == "result":
            return self._result(obj)
        return []

    def _tool_result(self, obj: dict[str, Any]) -> ToolResult:
        error = as_dict(obj.get("error"))
        output = as_str(obj.get("output")) or as_str(error.get("message")) or ""
        return ToolResult(output, is_error=obj.get("status") != "success", id=as_str(obj.get("tool_id")))

    def _result(self, obj: dict[str, Any]) -> list[AgentEvent]:
        stats = as_dict(obj.get("stats"))
        tokens_in, tokens_out = as_int(stats.get("input_tokens")), as_int(stats.get("output_tokens"))
        events: list[AgentEvent] = [Usage(tokens_in, tokens_out, cumulative=True)]
        success = obj.get("status") == "success"
        text = "".join(self._text)
        if not success:
            error = as_dict(obj.get("error"))
            text = as_str(error.get("message")) or text or f"gemini ended with status {obj.get('status')!r}"
            events.append(error_event(text, as_int(error.get("code")) or None, self.clock))
        events.append(Result(success=success, text=text, session_id=self._session, tokens_in=tokens_in, tokens_out=tokens_out))
        return events
