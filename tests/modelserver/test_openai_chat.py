from __future__ import annotations

import json
from typing import Any

from overseer.modelserver import Script, Text
from tests.modelserver.conftest import Client

OPENCODE_WRITE = {
    "type": "function",
    "function": {
        "name": "write",
        "parameters": {"type": "object", "properties": {"content": {"type": "string"}, "filePath": {"type": "string"}}},
    },
}
GENERIC_WRITE = {
    "type": "function",
    "function": {"name": "save_and_write", "parameters": {"type": "object", "properties": {"target_path": {}, "text": {}}}},
}
SYSTEM = {"role": "system", "content": "You are opencode.\n<env>\n  Working directory: /srv/project\n</env>"}


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-test", "messages": [SYSTEM, {"role": "user", "content": text}], **extra}


def deltas(events: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    return [data["choices"][0]["delta"] for _, data in events if isinstance(data, dict) and data["choices"]]


def streamed_calls(events: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    calls: dict[int, dict[str, Any]] = {}
    for delta in deltas(events):
        for part in delta.get("tool_calls", []):
            call = calls.setdefault(part["index"], {"name": "", "arguments": ""})
            call["name"] += part.get("function", {}).get("name", "")
            call["arguments"] += part["function"]["arguments"]
    return [{"name": c["name"], "arguments": json.loads(c["arguments"])} for _, c in sorted(calls.items())]


def test_a_streamed_request_offering_opencode_write_gets_a_write_call_with_an_absolute_file_path(client: Client) -> None:
    events = client.post("/v1/chat/completions", chat("create hello.txt", tools=[OPENCODE_WRITE], stream=True)).events()
    assert streamed_calls(events) == [
        {"name": "write", "arguments": {"filePath": "/srv/project/hello.txt", "content": "hello from the script\n"}}
    ]
    assert events[-1] == (None, "[DONE]")
    finishes = [data["choices"][0]["finish_reason"] for _, data in events[:-1]]
    assert finishes[-1] == "tool_calls" and set(finishes[:-1]) == {None}


def test_usage_comes_as_a_last_chunk_with_no_choices_only_when_include_usage_is_asked(client: Client) -> None:
    with_usage = client.post("/v1/chat/completions", chat("hi", stream=True, stream_options={"include_usage": True})).events()
    without = client.post("/v1/chat/completions", chat("hi", stream=True)).events()
    last = with_usage[-2][1]
    assert last["choices"] == []
    assert last["usage"]["total_tokens"] == last["usage"]["prompt_tokens"] + last["usage"]["completion_tokens"] > 0
    assert not any("usage" in data for _, data in without if isinstance(data, dict))


def test_without_tools_the_streamed_text_is_aider_whole_file_format(client: Client) -> None:
    events = client.post("/v1/chat/completions", chat("create hello.txt", stream=True)).events()
    text = "".join(d.get("content") or "" for d in deltas(events))
    assert text == "hello.txt\n```\nhello from the script\n```\n"
    assert events[-2][1]["choices"][0]["finish_reason"] == "stop"


def test_a_tool_message_last_gets_the_final_text(client: Client) -> None:
    body = chat("create hello.txt", tools=[OPENCODE_WRITE])
    body["messages"] += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "write", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Wrote file successfully."},
    ]
    reply = client.post("/v1/chat/completions", body).json()
    assert reply["object"] == "chat.completion"
    assert reply["choices"][0]["message"] == {"role": "assistant", "content": "All done."}
    assert reply["choices"][0]["finish_reason"] == "stop"


def test_a_generic_write_tool_is_called_with_the_keys_its_schema_names(client: Client) -> None:
    reply = client.post("/v1/chat/completions", chat("save it", tools=[GENERIC_WRITE])).json()
    [call] = reply["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "save_and_write"
    assert json.loads(call["function"]["arguments"]) == {"target_path": "/srv/project/hello.txt", "text": "hello from the script\n"}
    assert reply["choices"][0]["finish_reason"] == "tool_calls"


def test_a_scripted_text_is_served_instead_of_the_default_rule(script: Script, client: Client) -> None:
    script.add(Text("A short title"))
    reply = client.post("/chat/completions", chat("Generate a title for this conversation", tools=[OPENCODE_WRITE])).json()
    assert reply["choices"][0]["message"]["content"] == "A short title"
    assert reply["usage"]["completion_tokens"] > 0


def test_the_models_list_is_in_the_openai_list_format(client: Client) -> None:
    body = client.request("GET", "/v1/models").json()
    assert body["object"] == "list"
    assert {"id": "scripted-model", "object": "model"}.items() <= body["data"][0].items()
