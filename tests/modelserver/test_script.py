from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from overseer.modelserver import HttpError, Script, ScriptedModelServer, Text, ToolCall, Turn, WriteFile
from tests.modelserver.conftest import Client


def anthropic(text: str) -> dict[str, Any]:
    return {"model": "claude-test", "max_tokens": 10, "messages": [{"role": "user", "content": text}]}


def answer(client: Client, text: str) -> str:
    return str(client.post("/v1/messages", anthropic(text)).json()["content"][0]["text"])


def test_queued_replies_are_served_in_order_then_the_default_rule_takes_over() -> None:
    script = Script(path="a.txt", content="A").add(Text("one")).add(Text("two"))
    turn = Turn(api="test", model="m", last_user_text="go")
    assert [script.next_reply(turn) for _ in range(3)] == [Text("one"), Text("two"), WriteFile("a.txt", "A")]
    assert script.pending() == []


def test_a_keyed_reply_waits_for_a_last_user_message_containing_its_key() -> None:
    script = Script().add(Text("for the title"), when="Generate a title")
    assert script.next_reply(Turn(api="t", model="m", last_user_text="create hello.txt")) == WriteFile("hello.txt", script.content)
    assert script.pending() == [Text("for the title")]
    assert script.next_reply(Turn(api="t", model="m", last_user_text="Generate a title for: x")) == Text("for the title")


def test_a_reply_added_with_times_none_is_served_forever() -> None:
    script = Script().add(HttpError.server_error(), times=None)
    turn = Turn(api="t", model="m")
    assert [script.next_reply(turn) for _ in range(5)] == [HttpError.server_error()] * 5
    assert script.pending() == [HttpError.server_error()]


def test_a_times_below_one_is_refused_and_queues_nothing() -> None:
    script = Script()
    with pytest.raises(ValueError, match="times must be at least 1"):
        script.add(Text("x"), times=0)
    assert script.pending() == []


def test_the_default_rule_answers_a_tool_result_with_the_final_text() -> None:
    script = Script(final_text="Finished.")
    assert script.next_reply(Turn(api="t", model="m", after_tool_result=True)) == Text("Finished.")


def test_a_scripted_429_carries_retry_after_and_anthropic_reset_headers(script: Script, client: Client) -> None:
    script.add(HttpError.rate_limited(reset_in=30))
    before = time.time()
    reply = client.post("/v1/messages", anthropic("hi"))
    assert reply.status == 429
    assert reply.headers["retry-after"] == "30"
    reset = int(reply.headers["anthropic-ratelimit-unified-reset"])
    assert before + 29 <= reset <= time.time() + 31
    assert abs(datetime.fromisoformat(reply.headers["anthropic-ratelimit-requests-reset"]).timestamp() - reset) < 1
    assert reply.json() == {"type": "error", "error": {"type": "rate_limit_error", "message": "scripted rate limit: try again later"}}
    assert answer(client, "hi").startswith("hello.txt")  # served once, then the default rule


def test_a_scripted_500_takes_each_api_error_shape(script: Script, client: Client) -> None:
    script.add(HttpError.server_error(), times=3)
    anthropic_error = client.post("/v1/messages", anthropic("hi"))
    openai_error = client.post("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    gemini_error = client.post("/v1beta/models/g:generateContent", {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    assert [r.status for r in (anthropic_error, openai_error, gemini_error)] == [500, 500, 500]
    assert anthropic_error.json()["error"]["type"] == "api_error"
    assert openai_error.json()["error"]["type"] == "server_error"
    assert gemini_error.json()["error"]["status"] == "INTERNAL"


def test_a_gemini_429_carries_a_retry_delay_and_an_openai_429_a_reset_header(script: Script, client: Client) -> None:
    script.add(HttpError.rate_limited(reset_in=12), times=2)
    gemini_error = client.post("/v1beta/models/g:streamGenerateContent?alt=sse", {"contents": []})
    openai_error = client.post("/v1/responses", {"model": "m", "input": "hi"})
    assert gemini_error.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert gemini_error.json()["error"]["details"][0]["retryDelay"] == "12s"
    assert openai_error.headers["x-ratelimit-reset-requests"] == "12s"
    assert openai_error.json()["error"]["code"] == "rate_limit_exceeded"


def test_an_error_with_its_own_body_and_headers_is_served_as_given(script: Script, client: Client) -> None:
    script.add(HttpError(503, headers={"x-custom": "1"}, body="upstream overloaded"))
    reply = client.post("/v1/messages", anthropic("hi"))
    assert (reply.status, reply.body, reply.headers["x-custom"]) == (503, b"upstream overloaded", "1")


def test_a_keyed_error_hits_only_the_matching_conversation(script: Script, client: Client, server: ScriptedModelServer) -> None:
    script.add(HttpError.rate_limited(), when="main task")
    assert answer(client, "side request").startswith("hello.txt")
    assert client.post("/v1/messages", anthropic("the main task, please")).status == 429
    assert [r.status for r in server.requests] == [200, 429]


def test_an_exact_tool_call_is_sent_even_when_the_harness_did_not_offer_that_tool(script: Script, client: Client) -> None:
    script.add(ToolCall("Edit", {"file_path": "/x", "old_string": "a", "new_string": "b"}))
    content = client.post("/v1/messages", anthropic("edit")).json()["content"]
    assert content[0]["name"] == "Edit" and content[0]["input"]["new_string"] == "b"
