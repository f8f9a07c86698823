"""OpenCode (``opencode``, npm ``opencode-ai``): ``opencode run --format json --model P/M -- PROMPT``.

``build`` writes ``<home>/opencode.json`` (pointed to by ``OPENCODE_CONFIG``) allowing edits and shell without
asking; with a base URL (``options["base_url"]``, else ``OPENAI_BASE_URL`` of the profile's env) it declares an
OpenAI-compatible provider ``options["provider"]`` (default ``overseer``, package ``@ai-sdk/openai-compatible``)
whose key is read from ``options["env_key"]`` (default ``OPENAI_API_KEY``) and the model is ``provider/model``.
HOME and the XDG folders live under the run's home; auto-update, model-list fetching, sharing and LSP
downloads are turned off. OpenCode has no turn limit flag; ``max_turns`` is ignored.

Output lines: ``step_start``, ``text``, ``tool_use`` (with the tool's final state), ``step_finish {tokens, cost,
reason}`` and ``error``; a run is done when a step finishes with a reason other than ``tool-calls``.
"""

from __future__ import annotations

import json
from typing import Any

from overseer.agents.common import (
    LineParser,
    OpenAICompatible,
    as_dict,
    as_float,
    as_int,
    as_str,
    error_event,
    json_object,
    merged_options,
    option_str,
)
from overseer.domain.runs import AgentEvent, Cost, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from overseer.ports import Invocation, RunSpec

__all__ = ["OpenCode", "OpenCodeParser", "opencode_config"]

QUIET_ENV = {
    "OPENCODE_DISABLE_AUTOUPDATE": "1",
    "OPENCODE_DISABLE_MODELS_FETCH": "1",
    "OPENCODE_DISABLE_SHARE": "1",
    "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
}


class OpenCode(OpenAICompatible):
    name = "opencode"
    binary = "opencode"

    def build(self, spec: RunSpec) -> Invocation:
        options = merged_options(self.options, spec)
        provider = option_str(options, "provider", "overseer") or "overseer"
        url = self.base_url(spec, "OPENAI_BASE_URL")
        model = spec.model
        if model and url and not model.startswith(f"{provider}/"):
            model = f"{provider}/{model}"
        argv = [self.binary, "run", "--format", "json"]
        if model:
            argv += ["--model", model]
        argv += [*spec.args, "--", spec.prompt]
        config_path = spec.home / "opencode.json"
        home = spec.home
        env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "OPENCODE_CONFIG": str(config_path),
            **QUIET_ENV,
        }
        env_key = option_str(options, "env_key", "OPENAI_API_KEY") or "OPENAI_API_KEY"
        config = opencode_config(provider=provider, base_url=url, model=spec.model, env_key=env_key)
        return Invocation(argv=tuple(argv), env={**env, **spec.env}, files={config_path: config})

    def parser(self) -> OpenCodeParser:
        return OpenCodeParser()


def opencode_config(*, provider: str, base_url: str | None, model: str | None, env_key: str) -> str:
    config: dict[str, Any] = {
        "$schema": "https://opencode.ai/config.json",
        "autoupdate": False,
        "share": "disabled",
        "permission": {"edit": "allow", "bash": "allow", "webfetch": "allow"},
    }
    if base_url:
        bare = model.removeprefix(f"{provider}/") if model else None
        config["provider"] = {
            provider: {
                "npm": "@ai-sdk/openai-compatible",
                "name": provider,
                "options": {"baseURL": base_url, "apiKey": f"{{env:{env_key}}}"},
                "models": {bare: {"name": bare}} if bare else {},
            }
        }
    return json.dumps(config, indent=2) + "\n"


class OpenCodeParser(LineParser):
    harness = "opencode"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: str | None = None
        self._steps = 0
        self._done = False
        self._tokens = [0, 0]
        self._cost = 0.0
        self._text: list[str] = []
        self._error: str | None = None

    def parse(self, text: str) -> list[AgentEvent]:
        obj = json_object(text)
        if obj is None:
            return [TextEvent(text, role="raw")]
        kind, part = obj.get("type"), as_dict(obj.get("part"))
        if kind == "step_start":
            self._steps += 1
            if self._session is None:
                self._session = as_str(obj.get("sessionID")) or as_str(part.get("sessionID")) or ""
                return [Started(session_id=self._session or None)]
            return []
        if kind == "text":
            content = as_str(part.get("text"))
            if not content:
                return []
            self._text.append(content)
            return [TextEvent(content)]
        if kind == "tool_use":
            return self._tool(part)
        if kind == "step_finish":
            return self._step_finish(part)
        if kind == "error":
            error = obj.get("error")
            data = as_dict(as_dict(error).get("data"))
            message = as_str(data.get("message")) or as_str(as_dict(error).get("message")) or json.dumps(error)
            self._error = message
            return [error_event(message, as_int(data.get("statusCode")) or None, self.clock)]
        return []

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        success = self._done and self._error is None and exit_code == 0
        text = "\n".join(self._text) if success else self._error or self.missing_result(exit_code)
        return [
            Result(
                success=success,
                text=text,
                turns=self._steps,
                session_id=self._session or None,
                tokens_in=self._tokens[0],
                tokens_out=self._tokens[1],
                cost_usd=self._cost,
            )
        ]

    def _tool(self, part: dict[str, Any]) -> list[AgentEvent]:
        state = as_dict(part.get("state"))
        call_id = as_str(part.get("callID"))
        events: list[AgentEvent] = [ToolUse(str(part.get("tool", "")), as_dict(state.get("input")), call_id)]
        status = state.get("status")
        if status in ("completed", "error"):
            output = as_str(state.get("output")) or as_str(state.get("error")) or ""
            events.append(ToolResult(output, is_error=status == "error", id=call_id))
        return events

    def _step_finish(self, part: dict[str, Any]) -> list[AgentEvent]:
        tokens = as_dict(part.get("tokens"))
        tokens_in = as_int(tokens.get("input")) + as_int(as_dict(tokens.get("cache")).get("read"))
        tokens_out = as_int(tokens.get("output")) + as_int(tokens.get("reasoning"))
        self._tokens = [self._tokens[0] + tokens_in, self._tokens[1] + tokens_out]
        self._done = part.get("reason") not in ("tool-calls", "tool_calls")
        events: list[AgentEvent] = [Usage(tokens_in, tokens_out)]
        cost = as_float(part.get("cost"))
        if cost is not None:
            self._cost += cost
            events.append(Cost(self._cost))
        return events
