from __future__ import annotations

import json
from typing import Any

from overseer.modelserver import Script, ScriptedModelServer, Text
from tests.modelserver.conftest import Client

WRITE_FILE = {
    "functionDeclarations": [
        {"name": "read_file", "parametersJsonSchema": {"type": "object", "properties": {"absolute_path": {}}}},
        {"name": "write_file", "parametersJsonSchema": {"type": "object", "properties": {"file_path": {}, "content": {}}}},
    ]
}
ROUTER = {
    "contents": [{"role": "user", "parts": [{"text": "create hello.txt"}]}],
    "systemInstruction": {"parts": [{"text": "Classify the task. Respond with complexity_reasoning and complexity_score (1-100)."}]},
    "generationConfig": {"responseMimeType": "application/json"},
}
STREAM = "/v1beta/models/gemini-test:streamGenerateContent?alt=sse"


def ask(*contents: dict[str, Any], **extra: Any) -> dict[str, Any]:
    system = {"parts": [{"text": "- **Workspace Directories:**\n  - /home/me/proj\n- **Directory Structure:**"}]}
    return {"contents": list(contents), "systemInstruction": system, "tools": [WRITE_FILE], **extra}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def test_the_router_call_gets_json_text_with_a_complexity_score_and_takes_no_scripted_reply(script: Script, client: Client) -> None:
    script.add(Text("for the conversation"))
    body = client.post("/v1beta/models/gemini-2.5-flash-lite:generateContent", ROUTER).json()
    answer = json.loads(body["candidates"][0]["content"]["parts"][0]["text"])
    assert set(answer) == {"complexity_reasoning", "complexity_score"}
    assert isinstance(answer["complexity_score"], int)
    assert script.pending() == [Text("for the conversation")]


def test_a_streamed_request_offering_write_file_gets_a_function_call_as_sse_chunks(client: Client, server: ScriptedModelServer) -> None:
    reply = client.post(STREAM, ask(user("create hello.txt")))
    [(name, chunk)] = reply.events()
    assert name is None and reply.headers["content-type"] == "text/event-stream"
    candidate = chunk["candidates"][0]
    call = candidate["content"]["parts"][0]["functionCall"]
    assert (call["name"], call["args"]) == ("write_file", {"file_path": "/home/me/proj/hello.txt", "content": "hello from the script\n"})
    assert candidate["finishReason"] == "STOP" and candidate["content"]["role"] == "model"
    assert chunk["usageMetadata"]["totalTokenCount"] > 0
    assert server.requests_to("/v1beta/models/")[0].query == {"alt": "sse"}


def test_a_function_response_last_gets_the_final_text(client: Client) -> None:
    call = {"role": "model", "parts": [{"functionCall": {"name": "write_file", "args": {}}}]}
    answer = {"role": "user", "parts": [{"functionResponse": {"name": "write_file", "response": {"output": "ok"}}}]}
    [(_, chunk)] = client.post(STREAM, ask(user("create hello.txt"), call, answer)).events()
    assert chunk["candidates"][0]["content"]["parts"] == [{"text": "All done."}]


def test_generate_content_without_tools_answers_whole_file_text_as_one_json(client: Client) -> None:
    body = client.post("/v1beta/models/gemini-test:generateContent", {"contents": [user("create hello.txt")]}).json()
    assert body["candidates"][0]["content"]["parts"] == [{"text": "hello.txt\n```\nhello from the script\n```\n"}]
    assert body["modelVersion"] == "gemini-test"


def test_stream_generate_content_without_alt_sse_is_a_json_array(client: Client) -> None:
    body = client.post("/v1beta/models/gemini-test:streamGenerateContent", ask(user("create hello.txt"))).json()
    assert isinstance(body, list) and body[-1]["candidates"][0]["finishReason"] == "STOP"


def test_count_tokens_answers_a_total(client: Client) -> None:
    assert client.post("/v1beta/models/gemini-test:countTokens", {"contents": [user("hello")]}).json()["totalTokens"] > 0
