"""Anthropic Messages API: ``POST /v1/messages`` (SSE when ``stream: true``, else JSON) and ``count_tokens``.

A streamed reply is ``message_start``, then per content block ``content_block_start`` / ``content_block_delta``
(``text_delta`` or ``input_json_delta``) / ``content_block_stop``, then ``message_delta`` (stop_reason
``tool_use`` or ``end_turn``, usage) and ``message_stop`` — what Claude Code parses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from overseer.modelserver import wire
from overseer.modelserver.script import HttpError, Script, Text, Tool, ToolCall, Turn
from overseer.modelserver.tools import resolve

__all__ = ["count_tokens", "messages", "turn_of"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def messages(request: wire.Request, script: Script) -> wire.Response:
    body = request.json_body()
    turn = turn_of(body)
    reply = resolve(script.next_reply(turn), turn)
    if isinstance(reply, HttpError):
        kind = _ERROR_TYPES.get(reply.status, "api_error")
        return wire.error_response(reply, {"type": "error", "error": {"type": kind, "message": reply.message}})
    blocks = _blocks(reply)
    usage = {"input_tokens": wire.token_count(body.get("messages", [])), "output_tokens": wire.token_count(blocks)}
    stop = "tool_use" if isinstance(reply, ToolCall) else "end_turn"
    summary = f"tool_use {reply.name}" if isinstance(reply, ToolCall) else "text"
    message = {"id": wire.new_id("msg"), "type": "message", "role": "assistant", "model": turn.model}
    if not body.get("stream"):
        payload = {**message, "content": blocks, "stop_reason": stop, "stop_sequence": None, "usage": usage}
        return wire.json_response(payload, summary=summary)
    events = _stream(message, blocks, stop, usage)
    return wire.Response(200, wire.sse(events), "text/event-stream", {"cache-control": "no-cache"}, summary)


def count_tokens(request: wire.Request, script: Script) -> wire.Response:
    """``POST /v1/messages/count_tokens``: a deterministic count; it never takes a scripted reply."""
    return wire.json_response({"input_tokens": wire.token_count(request.json_body().get("messages", []))}, summary="count_tokens")


def turn_of(body: dict[str, Any]) -> Turn:
    msgs = [m for m in body.get("messages", []) if isinstance(m, dict)]
    last = msgs[-1] if msgs else {}
    last_user = next((m for m in reversed(msgs) if m.get("role") == "user"), {})
    content = last.get("content")
    after_tool = last.get("role") == "user" and isinstance(content, list) and any(_is_tool_result(b) for b in content)
    tools = tuple(Tool(str(t.get("name", "")), t.get("input_schema") or {}) for t in body.get("tools", []) if isinstance(t, dict))
    return Turn(
        api="anthropic",
        model=str(body.get("model", "claude-scripted")),
        last_user_text=wire.all_text(last_user.get("content", "")),
        after_tool_result=after_tool,
        tools=tools,
        context=wire.all_text([body.get("system", ""), msgs]),
    )


def _is_tool_result(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "tool_result"


def _blocks(reply: Text | ToolCall) -> list[dict[str, Any]]:
    if isinstance(reply, Text):
        return [{"type": "text", "text": reply.text}]
    blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    blocks.append({"type": "tool_use", "id": wire.new_id("toolu"), "name": reply.name, "input": dict(reply.arguments)})
    return blocks


Event = tuple[str, dict[str, Any]]


def _stream(message: dict[str, Any], blocks: list[dict[str, Any]], stop: str, usage: dict[str, int]) -> Iterator[Event]:
    start_usage = {**usage, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": usage}
    yield "message_stop", {"type": "message_stop"}
