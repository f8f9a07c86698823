"""Gemini API: ``POST /v1beta/models/<model>:generateContent``, ``:streamGenerateContent`` (``?alt=sse`` gives
``data:`` chunks, else a JSON array) and ``:countTokens``.

Replies are ``candidates[0].content.parts[]`` with ``text`` or ``functionCall {name, args}``. The Gemini CLI's
router asks first (a ``generateContent`` whose prompt mentions ``complexity_score``) for JSON text
``{"complexity_reasoning": ..., "complexity_score": N}``; that call is answered here and never takes a
scripted reply, so the script only sees the conversation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from overseer.modelserver import wire
from overseer.modelserver.script import HttpError, Script, Text, Tool, ToolCall, Turn
from overseer.modelserver.tools import resolve

__all__ = ["PATH", "ROUTER_SCORE", "models_call", "turn_of"]

PATH = re.compile(r"^/v1(?:beta|alpha)?/models/(?P<model>[^:/]+):(?P<method>[A-Za-z]+)$")
ROUTER_SCORE = 20  # a simple task, so the CLI stays on its default (flash) model
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED"}


def models_call(request: wire.Request, script: Script) -> wire.Response:
    """Dispatch ``models/<m>:<method>`` to count, generate or stream."""
    matched = PATH.match(request.path)
    if matched is None:  # the server routes only matching paths here
        raise ValueError(f"not a Gemini models path: {request.path}")
    body = request.json_body()
    model, method = matched["model"], matched["method"]
    if method == "countTokens":
        return wire.json_response({"totalTokens": wire.token_count(body.get("contents", []))}, summary="countTokens")
    if method not in ("generateContent", "streamGenerateContent"):
        return wire.json_response({"error": {"code": 404, "message": f"unknown method {method}", "status": "NOT_FOUND"}}, status=404)
    router = _router_answer(body)
    if router is not None:
        return _render(request, method, model, body, Text(router), "router")
    turn = turn_of(body, model)
    reply = resolve(script.next_reply(turn), turn)
    if isinstance(reply, HttpError):
        return wire.error_response(reply, _error_body(reply))
    return _render(request, method, model, body, reply, f"functionCall {reply.name}" if isinstance(reply, ToolCall) else "text")


def turn_of(body: dict[str, Any], model: str) -> Turn:
    contents = [c for c in body.get("contents", []) if isinstance(c, dict)]
    last = contents[-1] if contents else {}
    last_user = next((c for c in reversed(contents) if c.get("role", "user") == "user"), {})
    parts = last.get("parts", [])
    declarations = [d for t in body.get("tools", []) if isinstance(t, dict) for d in t.get("functionDeclarations", [])]
    tools = tuple(Tool(str(d.get("name", "")), d.get("parametersJsonSchema") or d.get("parameters") or {}) for d in declarations)
    return Turn(
        api="gemini",
        model=model,
        last_user_text=wire.all_text(last_user.get("parts", [])),
        after_tool_result=isinstance(parts, list) and any(isinstance(p, dict) and "functionResponse" in p for p in parts),
        tools=tools,
        context=wire.all_text([body.get("systemInstruction", ""), contents]),
    )


def _router_answer(body: dict[str, Any]) -> str | None:
    text = json.dumps(body)
    if "complexity_score" in text:
        return json.dumps({"complexity_reasoning": "scripted router: a simple, well-defined edit", "complexity_score": ROUTER_SCORE})
    if "model_choice" in text:
        return json.dumps({"reasoning": "scripted router: a simple, well-defined edit", "model_choice": "flash"})
    return None


def _render(request: wire.Request, method: str, model: str, body: dict[str, Any], reply: Text | ToolCall, summary: str) -> wire.Response:
    parts: list[dict[str, Any]] = [{"text": reply.text}] if reply.text or isinstance(reply, Text) else []
    if isinstance(reply, ToolCall):
        parts.append({"functionCall": {"id": wire.new_id("call"), "name": reply.name, "args": dict(reply.arguments)}})
    prompt = wire.token_count(body.get("contents", []))
    output = wire.token_count(parts)
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": output, "totalTokenCount": prompt + output}
    head = {"modelVersion": model, "responseId": wire.new_id("resp")}
    if method == "generateContent":
        return wire.json_response({"candidates": [_candidate(parts, True)], "usageMetadata": usage, **head}, summary=summary)
    chunks: list[dict[str, Any]] = [{"candidates": [_candidate([part], i == len(parts) - 1)], **head} for i, part in enumerate(parts)]
    chunks[-1]["usageMetadata"] = usage
    if request.query.get("alt") == "sse":
        return wire.Response(200, wire.sse_data(chunks), "text/event-stream", {"cache-control": "no-cache"}, summary)
    return wire.json_response(chunks, summary=summary)


def _candidate(parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if last:
        candidate["finishReason"] = "STOP"
    return candidate


def _error_body(error: HttpError) -> dict[str, Any]:
    status = _STATUS.get(error.status, "UNAVAILABLE" if error.status == 503 else "INTERNAL")
    payload: dict[str, Any] = {"code": error.status, "message": error.message, "status": status}
    if error.reset_in is not None:
        payload["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{max(0, round(error.reset_in))}s"}]
    return {"error": payload}
