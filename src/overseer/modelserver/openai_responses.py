"""OpenAI Responses API: ``POST /v1/responses`` (named SSE events when streamed, else the response object).

A streamed reply is ``response.created``, ``response.in_progress``, then per output item
``response.output_item.added`` ... ``response.output_item.done`` (a ``message`` with ``output_text`` deltas, or
a ``function_call`` {call_id, name, arguments} with argument deltas), then ``response.completed`` with usage —
what Codex parses (it fails a turn whose stream ends without ``response.completed``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from overseer.modelserver import wire
from overseer.modelserver.openai_chat import openai_error
from overseer.modelserver.script import HttpError, Script, Text, Tool, ToolCall, Turn
from overseer.modelserver.tools import resolve

__all__ = ["responses", "turn_of"]


def responses(request: wire.Request, script: Script) -> wire.Response:
    body = request.json_body()
    turn = turn_of(body)
    reply = resolve(script.next_reply(turn), turn)
    if isinstance(reply, HttpError):
        return wire.error_response(reply, openai_error(reply))
    items = _items(reply)
    prompt = wire.token_count(body.get("input", ""))
    output = wire.token_count(items)
    usage = {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + output,
    }
    response = {"id": wire.new_id("resp"), "object": "response", "created_at": int(time.time()), "model": turn.model}
    summary = f"function_call {reply.name}" if isinstance(reply, ToolCall) else "text"
    if not body.get("stream"):
        return wire.json_response({**response, "status": "completed", "output": items, "usage": usage}, summary=summary)
    events = _numbered(_stream(response, items, usage))
    return wire.Response(200, wire.sse(events), "text/event-stream", {"cache-control": "no-cache"}, summary)


def turn_of(body: dict[str, Any]) -> Turn:
    raw = body.get("input", [])
    items: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": raw}] if isinstance(raw, str) else raw
    items = [i for i in items if isinstance(i, dict)]
    last = items[-1] if items else {}
    users = [i for i in items if i.get("role") == "user"]
    offered = [t for t in body.get("tools", []) if isinstance(t, dict) and t.get("name")]
    tools = [Tool(str(t["name"]), t.get("parameters") or {}) for t in offered]
    return Turn(
        api="openai-responses",
        model=str(body.get("model", "scripted-model")),
        last_user_text=wire.all_text(users[-1].get("content", "")) if users else "",
        after_tool_result=str(last.get("type", "")).endswith("_output"),
        tools=tuple(tools),
        context=wire.all_text([body.get("instructions", ""), users]),
    )


def _items(reply: Text | ToolCall) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    text = reply.text
    if text or isinstance(reply, Text):
        content = [{"type": "output_text", "text": text, "annotations": []}]
        items.append({"type": "message", "id": wire.new_id("msg"), "role": "assistant", "status": "completed", "content": content})
    if isinstance(reply, ToolCall):
        arguments = json.dumps(dict(reply.arguments))
        ids = {"id": wire.new_id("fc"), "call_id": wire.new_id("call")}
        items.append({"type": "function_call", **ids, "name": reply.name, "arguments": arguments, "status": "completed"})
    return items


def _stream(response: dict[str, Any], items: list[dict[str, Any]], usage: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield {"type": "response.created", "response": {**response, "status": "in_progress", "output": []}}
    yield {"type": "response.in_progress", "response": {**response, "status": "in_progress", "output": []}}
    for index, item in enumerate(items):
        if item["type"] == "message":
            yield from _message_events(index, item)
        else:
            yield from _call_events(index, item)
    yield {"type": "response.completed", "response": {**response, "status": "completed", "output": items, "usage": usage}}


def _message_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text = item["content"][0]["text"]
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    yield {"type": "response.output_item.added", "output_index": index, "item": {**item, "status": "in_progress", "content": []}}
    yield {"type": "response.content_part.added", **where, "part": {"type": "output_text", "text": "", "annotations": []}}
    yield {"type": "response.output_text.delta", **where, "delta": text}
    yield {"type": "response.output_text.done", **where, "text": text}
    yield {"type": "response.content_part.done", **where, "part": item["content"][0]}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _call_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    where = {"item_id": item["id"], "output_index": index}
    yield {"type": "response.output_item.added", "output_index": index, "item": {**item, "status": "in_progress", "arguments": ""}}
    yield {"type": "response.function_call_arguments.delta", **where, "delta": item["arguments"]}
    yield {"type": "response.function_call_arguments.done", **where, "arguments": item["arguments"]}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _numbered(events: Iterator[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, event in enumerate(events):
        yield event["type"], {**event, "sequence_number": number}
