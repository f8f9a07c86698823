"""OpenAI Chat Completions: ``POST /v1/chat/completions`` (``data:`` chunks then ``[DONE]`` when streamed) and
``GET /v1/models``.

A streamed reply opens with the assistant role, sends the text or the ``tool_calls`` (name first, then the
arguments), closes with ``finish_reason`` (``stop`` or ``tool_calls``), then — when the request asked with
``stream_options.include_usage`` — a chunk with empty ``choices`` and the usage, as aider and OpenCode expect.
"""

from __future__ import annotations

import json
import time
from typing import Any

from overseer.modelserver import wire
from overseer.modelserver.script import HttpError, Script, Text, Tool, ToolCall, Turn
from overseer.modelserver.tools import resolve

__all__ = ["completions", "models", "turn_of"]

_ERROR_CODES = {400: "invalid_request_error", 401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}
MODEL_IDS = ("scripted-model", "gpt-4o-mini", "gpt-5", "claude-sonnet-4-5", "gemini-2.5-flash")


def completions(request: wire.Request, script: Script) -> wire.Response:
    body = request.json_body()
    turn = turn_of(body)
    reply = resolve(script.next_reply(turn), turn)
    if isinstance(reply, HttpError):
        return wire.error_response(reply, openai_error(reply))
    message, finish = _message(reply)
    prompt = wire.token_count(body.get("messages", []))
    completion = wire.token_count(message)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    summary = f"tool_calls {reply.name}" if isinstance(reply, ToolCall) else "text"
    head = {"id": wire.new_id("chatcmpl"), "created": int(time.time()), "model": turn.model}
    if not body.get("stream"):
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        return wire.json_response({**head, "object": "chat.completion", "choices": [choice], "usage": usage}, summary=summary)
    options = body.get("stream_options")
    with_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    chunks = _chunks({**head, "object": "chat.completion.chunk"}, message, finish, usage if with_usage else None)
    return wire.Response(200, wire.sse_data([*chunks, "[DONE]"]), "text/event-stream", {"cache-control": "no-cache"}, summary)


def models(request: wire.Request, script: Script) -> wire.Response:
    """``GET /v1/models`` in the OpenAI list format; it never takes a scripted reply."""
    data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "overseer-modelserver"} for m in MODEL_IDS]
    return wire.json_response({"object": "list", "data": data}, summary="models")


def openai_error(error: HttpError) -> dict[str, Any]:
    code = _ERROR_CODES.get(error.status, "server_error")
    kind = "requests" if error.status == 429 else ("invalid_request_error" if error.status < 500 else "server_error")
    return {"error": {"message": error.message, "type": kind, "param": None, "code": code}}


def turn_of(body: dict[str, Any]) -> Turn:
    msgs = [m for m in body.get("messages", []) if isinstance(m, dict)]
    last = msgs[-1] if msgs else {}
    last_user = next((m for m in reversed(msgs) if m.get("role") == "user"), {})
    tools = [t.get("function", {}) for t in body.get("tools", []) if isinstance(t, dict)]
    tools += [f for f in body.get("functions", []) if isinstance(f, dict)]
    system = [m for m in msgs if m.get("role") in ("system", "developer")]
    return Turn(
        api="openai-chat",
        model=str(body.get("model", "scripted-model")),
        last_user_text=wire.all_text(last_user.get("content", "")),
        after_tool_result=last.get("role") in ("tool", "function"),
        tools=tuple(Tool(str(f.get("name", "")), f.get("parameters") or {}) for f in tools if isinstance(f, dict)),
        context=wire.all_text([system, last_user]),
    )


def _message(reply: Text | ToolCall) -> tuple[dict[str, Any], str]:
    if isinstance(reply, Text):
        return {"role": "assistant", "content": reply.text}, "stop"
    call = {"id": wire.new_id("call"), "type": "function", "function": {"name": reply.name, "arguments": json.dumps(dict(reply.arguments))}}
    return {"role": "assistant", "content": reply.text or None, "tool_calls": [call]}, "tool_calls"


def _chunks(head: dict[str, Any], message: dict[str, Any], finish: str, usage: dict[str, int] | None) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if message.get("content"):
        chunks.append(chunk({"content": message["content"]}))
    for index, call in enumerate(message.get("tool_calls", [])):
        opening = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
        chunks.append(chunk({"tool_calls": [opening]}))
        chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": call["function"]["arguments"]}}]}))
    chunks.append(chunk({}, finish))
    if usage is not None:
        chunks.append({**head, "choices": [], "usage": usage})
    return chunks
