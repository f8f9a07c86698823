from __future__ import annotations

import json
from typing import Any

from overseer.modelserver import Script, Text, ToolCall
from tests.modelserver.conftest import Client

WRITE_TOOL = {
    "name": "Write",
    "description": "Write a file",
    "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}, "content": {"type": "string"}}},
}
BASH_TOOL = {"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}
SYSTEM = [{"type": "text", "text": "You are Claude Code.\n<env>\nWorking directory: /work/repo\nIs directory a git repo: Yes\n</env>"}]


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "claude-test", "max_tokens": 100, "system": SYSTEM, "messages": [{"role": "user", "content": text}], **extra}


def tool_result_turn() -> dict[str, Any]:
    return ask("create hello.txt", tools=[WRITE_TOOL], stream=True) | {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "create hello.txt"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Write", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "File created"}]},
        ]
    }


def assembled(events: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    """The content blocks a client rebuilds from the stream."""
    blocks: dict[int, dict[str, Any]] = {}
    for name, data in events:
        if name == "content_block_start":
            blocks[data["index"]] = dict(data["content_block"], _json="")
        elif name == "content_block_delta":
            delta, block = data["delta"], blocks[data["index"]]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                block["_json"] += delta["partial_json"]
    for block in blocks.values():
        raw = block.pop("_json")
        if block["type"] == "tool_use":
            block["input"] = json.loads(raw)
    return [blocks[i] for i in sorted(blocks)]


def test_the_head_probe_on_the_root_answers_200_with_no_body(client: Client) -> None:
    reply = client.request("HEAD", "/")
    assert (reply.status, reply.body) == (200, b"")


def test_a_streamed_request_offering_write_gets_a_write_call_for_the_file_in_the_working_directory(client: Client) -> None:
    reply = client.post("/v1/messages?beta=true", ask("create hello.txt", tools=[BASH_TOOL, WRITE_TOOL], stream=True))
    events = reply.events()
    names = [name for name, _ in events]
    assert reply.headers["content-type"] == "text/event-stream"
    assert names == ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert events[2][1]["delta"]["type"] == "input_json_delta"
    [block] = assembled(events)
    assert (block["type"], block["name"]) == ("tool_use", "Write")
    assert block["input"] == {"file_path": "/work/repo/hello.txt", "content": "hello from the script\n"}
    assert events[4][1]["delta"]["stop_reason"] == "tool_use"
    assert events[4][1]["usage"]["output_tokens"] > 0


def test_a_tool_result_as_last_message_gets_the_final_text_and_end_turn(client: Client) -> None:
    events = client.post("/v1/messages", tool_result_turn()).events()
    assert assembled(events) == [{"type": "text", "text": "All done."}]
    assert events[2][1]["delta"] == {"type": "text_delta", "text": "All done."}
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_without_tools_the_reply_is_aider_whole_file_text(client: Client) -> None:
    body = client.post("/v1/messages", ask("create hello.txt")).json()
    assert body["content"] == [{"type": "text", "text": "hello.txt\n```\nhello from the script\n```\n"}]
    assert body["stop_reason"] == "end_turn"


def test_a_non_streamed_scripted_tool_call_comes_back_as_one_json_message(script: Script, client: Client) -> None:
    script.add(ToolCall("Bash", {"command": "ls"}, text="Listing first."))
    body = client.post("/v1/messages", ask("look around", tools=[BASH_TOOL])).json()
    assert body["type"] == "message" and body["model"] == "claude-test"
    assert [b["type"] for b in body["content"]] == ["text", "tool_use"]
    assert body["content"][1]["input"] == {"command": "ls"}
    assert body["stop_reason"] == "tool_use"
    assert body["usage"]["input_tokens"] > 0 and body["usage"]["output_tokens"] > 0


def test_token_usage_is_deterministic_for_the_same_request(script: Script, client: Client) -> None:
    script.add(Text("same"), times=2)
    first = client.post("/v1/messages", ask("hi")).json()["usage"]
    second = client.post("/v1/messages", ask("hi")).json()["usage"]
    assert first == second


def test_count_tokens_answers_without_taking_a_scripted_reply(script: Script, client: Client) -> None:
    script.add(Text("kept"))
    body = client.post("/v1/messages/count_tokens", ask("hi")).json()
    assert body["input_tokens"] > 0
    assert script.pending() == [Text("kept")]
