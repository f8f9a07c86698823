from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from overseer.modelserver import ScriptedModelServer
from tests.modelserver.conftest import Client

EXEC_COMMAND = {"type": "function", "name": "exec_command", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}}
WRITE_STDIN = {"type": "function", "name": "write_stdin", "parameters": {"type": "object", "properties": {"session_id": {}, "chars": {}}}}
SHELL = {"type": "function", "name": "shell", "parameters": {"type": "object", "properties": {"command": {"type": "array"}}}}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def ask(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-test", "instructions": "You are Codex.", "input": list(items), "stream": True, **extra}


def test_a_streamed_request_offering_exec_command_gets_a_function_call_whose_command_writes_the_file(
    client: Client, tmp_path: Path
) -> None:
    events = client.post("/v1/responses", ask(user("create hello.txt"), tools=[WRITE_STDIN, EXEC_COMMAND])).events()
    names = [name for name, _ in events]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    assert names.count("response.output_item.added") == names.count("response.output_item.done") == 1
    assert [data["type"] for _, data in events] == names
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    item = next(data["item"] for name, data in events if name == "response.output_item.done")
    assert (item["type"], item["name"]) == ("function_call", "exec_command")
    assert item["call_id"]
    subprocess.run(["bash", "-c", json.loads(item["arguments"])["cmd"]], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "hello.txt").read_text() == "hello from the script\n"


def test_the_completed_event_carries_the_output_and_token_usage(client: Client) -> None:
    events = client.post("/v1/responses", ask(user("create hello.txt"), tools=[EXEC_COMMAND])).events()
    response = events[-1][1]["response"]
    assert response["status"] == "completed"
    assert [i["type"] for i in response["output"]] == ["function_call"]
    usage = response["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_a_function_call_output_last_gets_a_message_with_output_text(client: Client) -> None:
    call = {"type": "function_call", "call_id": "call_1", "name": "exec_command", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "call_1", "output": "exit code 0"}
    events = client.post("/v1/responses", ask(user("create hello.txt"), call, output, tools=[EXEC_COMMAND])).events()
    deltas = "".join(data["delta"] for name, data in events if name == "response.output_text.delta")
    item = next(data["item"] for name, data in events if name == "response.output_item.done")
    assert deltas == "All done."
    assert item["type"] == "message" and item["role"] == "assistant"
    assert item["content"] == [{"type": "output_text", "text": "All done.", "annotations": []}]


def test_the_older_shell_tool_gets_an_argv_running_bash(client: Client, tmp_path: Path) -> None:
    body = client.post("/v1/responses", ask(user("create hello.txt"), tools=[SHELL], stream=False)).json()
    [item] = body["output"]
    argv = json.loads(item["arguments"])["command"]
    assert argv[:2] == ["bash", "-lc"]
    subprocess.run(argv, cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "hello.txt").read_text() == "hello from the script\n"


def test_a_string_input_without_tools_is_answered_in_whole_file_format(client: Client, server: ScriptedModelServer) -> None:
    body = client.post("/v1/responses", {"model": "m", "input": "create hello.txt"}).json()
    assert body["object"] == "response" and body["status"] == "completed"
    assert body["output"][0]["content"][0]["text"] == "hello.txt\n```\nhello from the script\n```\n"
    assert server.requests_to("/v1/responses")[0].reply == "text"
