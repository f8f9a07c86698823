"""Claude Code's stream-json, recorded from claude 2.1.197 against the scripted model server, parsed to events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from overseer.agents.claude_code import ClaudeCodeParser
from overseer.domain.runs import AgentEvent, Cost, ErrorEvent, RateLimit, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from tests.agents.conftest import NOW, parse_lines
from tests.agents.live import CONTENT

Recorded = Callable[[str], list[AgentEvent]]
WRITE = ToolUse("Write", {"file_path": "/work/repo/hello.txt", "content": CONTENT}, "toolu_scripted_000001")
WROTE = ToolResult(
    "File created successfully at: /work/repo/hello.txt (file state is current in your context — no need to Read it back)",
    id="toolu_scripted_000001",
)


def test_a_successful_claude_code_run_becomes_started_tool_use_result_text_usage_cost_and_a_successful_result(recorded: Recorded) -> None:
    session = "a53a320d-b5a8-4116-82dc-f9af805edb45"
    assert recorded("claude-code-success") == [
        Started(session, "claude-sonnet-4-5"),
        WRITE,
        Usage(1748, 1, model="claude-sonnet-4-5"),
        WROTE,
        TextEvent("Wrote hello.txt."),
        Usage(1882, 1, model="claude-sonnet-4-5"),
        Cost(0.011940000000000001),
        Result(True, "Wrote hello.txt.", turns=2, session_id=session, tokens_in=3630, tokens_out=70, cost_usd=0.011940000000000001),
    ]


def test_a_429_from_the_api_becomes_a_rate_limit_then_a_failed_result(recorded: Recorded) -> None:
    session = "3eb3bba3-4076-4d05-9137-230e6b4a0559"
    message = "API Error: Request rejected (429) · scripted rate limit: try again later"
    assert recorded("claude-code-429") == [
        Started(session, "claude-sonnet-4-5"),
        Cost(0.0),
        RateLimit(message, reset_at=None, status=429),
        Result(False, message, turns=1, session_id=session, tokens_in=0, tokens_out=0, cost_usd=0.0),
    ]


def test_a_500_from_the_api_becomes_an_error_with_its_status_then_a_failed_result(recorded: Recorded) -> None:
    events = recorded("claude-code-500")
    message = (
        "API Error: 500 scripted server error. This is a server-side issue, usually temporary — try again in a moment."
        " If it persists, check your inference gateway (127.0.0.1:8765)."
    )
    assert events[2:] == [
        ErrorEvent(message, status=500),
        Result(False, message, turns=1, session_id="5910b01a-3f0f-41ff-a1c5-822f159f0708", tokens_in=0, tokens_out=0, cost_usd=0.0),
    ]


def test_an_api_retry_after_a_429_is_a_rate_limit_that_resets_when_claude_retries(recorded: Recorded) -> None:
    events = recorded("claude-code-retry")
    assert events[1] == RateLimit("rate_limit (HTTP 429); retry 1 of 1 in 2 s", reset_at=NOW + timedelta(seconds=2), status=429)
    assert events[-1] == Result(
        True,
        "Wrote hello.txt.",
        turns=2,
        session_id="3d452838-e3a8-4210-a708-a8db50a9bc85",
        tokens_in=3630,
        tokens_out=70,
        cost_usd=0.011940000000000001,
    )


def test_reaching_max_turns_fails_the_result_with_claudes_reason(recorded: Recorded) -> None:
    events = recorded("claude-code-max-turns")
    assert [type(e) for e in events] == [Started, ToolUse, Usage, ToolResult, Cost, Result]
    assert events[-1] == Result(
        False,
        "Reached maximum number of turns (1)",
        turns=2,
        session_id="df8dd835-f82f-43a1-91be-7fa81ac2d951",
        tokens_in=1748,
        tokens_out=59,
        cost_usd=0.006129000000000001,
    )


def test_usage_is_counted_once_when_one_message_arrives_as_several_lines() -> None:
    usage = {"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 5}
    lines = [
        json.dumps(
            {"type": "assistant", "message": {"id": "m1", "model": "m", "content": [{"type": "text", "text": "a"}], "usage": usage}}
        ),
        json.dumps(
            {"type": "assistant", "message": {"id": "m1", "model": "m", "content": [{"type": "tool_use", "name": "Bash"}], "usage": usage}}
        ),
    ]
    events = parse_lines(ClaudeCodeParser(), lines, 0)
    assert events[:3] == [TextEvent("a"), Usage(100, 5, model="m"), ToolUse("Bash", {}, None)]


def test_output_cut_short_ends_in_a_failed_result_that_names_the_exit_code() -> None:
    lines = [json.dumps({"type": "system", "subtype": "init", "session_id": "s", "model": "m"}), "Killed"]
    assert parse_lines(ClaudeCodeParser(), lines, 137) == [
        Started("s", "m"),
        TextEvent("Killed", role="raw"),
        Result(False, "claude-code exited with code 137 without reporting a result"),
    ]


def test_an_api_error_with_no_result_line_is_still_reported_at_finish() -> None:
    error = {"type": "assistant", "error": "rate_limit", "message": {"content": [{"type": "text", "text": "API Error: 429 slow down"}]}}
    events = parse_lines(ClaudeCodeParser(), [json.dumps(error)], 1)
    assert events == [
        RateLimit("API Error: 429 slow down", status=429),
        Result(False, "claude-code exited with code 1 without reporting a result"),
    ]


def test_a_tool_result_given_as_blocks_is_joined_and_keeps_its_error_flag() -> None:
    content = [
        {
            "type": "tool_result",
            "tool_use_id": "t1",
            "is_error": True,
            "content": [{"type": "text", "text": "no"}, {"type": "text", "text": "such file"}],
        }
    ]
    events = ClaudeCodeParser().feed(json.dumps({"type": "user", "message": {"content": content}}))
    assert events == [ToolResult("no\nsuch file", is_error=True, id="t1")]
