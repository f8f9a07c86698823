"""Gemini CLI's stream-json, recorded from gemini 0.61.0 against the scripted model server, parsed to events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from overseer.agents.gemini import GeminiParser
from overseer.domain.runs import AgentEvent, ErrorEvent, RateLimit, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from tests.agents.conftest import NOW, parse_lines
from tests.agents.live import CONTENT

Recorded = Callable[[str], list[AgentEvent]]


def test_a_successful_gemini_run_becomes_started_the_write_its_result_the_text_usage_and_a_successful_result(recorded: Recorded) -> None:
    session, call = "aedcd9f9-04f7-410f-bc9c-137a112aa8b9", "write_file__call_scripted_000009"
    assert recorded("gemini-success") == [
        Started(session, "gemini-2.5-flash"),
        ToolUse("write_file", {"file_path": "/work/repo/hello.txt", "content": CONTENT}, call),
        ToolResult("", is_error=False, id=call),
        TextEvent("Wrote hello.txt."),
        Usage(559, 66, cumulative=True),
        Result(True, "Wrote hello.txt.", session_id=session, tokens_in=559, tokens_out=66),
    ]


def test_a_429_becomes_a_rate_limit_that_resets_after_the_suggested_delay(recorded: Recorded) -> None:
    message = (
        "[API Error: scripted rate limit: try again later\nSuggested retry after 30s.]\nPlease wait and try again later. To increase"
        " your limits, request a quota increase through AI Studio, or switch to another /auth method"
    )
    assert recorded("gemini-429")[1:] == [
        Usage(0, 0, cumulative=True),
        RateLimit(message, reset_at=NOW + timedelta(seconds=30), status=429),
        Result(False, message, session_id="3bcdf916-a52d-4b4d-aff6-6b44401fcf1e", tokens_in=0, tokens_out=0),
    ]


def test_a_500_becomes_an_error_with_the_status_gemini_quotes(recorded: Recorded) -> None:
    message = '[API Error: {"error":{"code":500,"message":"scripted server error","status":"INTERNAL"}}]'
    assert recorded("gemini-500")[2:] == [
        ErrorEvent(message, status=500),
        Result(False, message, session_id="0eac1195-1a2d-4b24-9acc-4039112a023e", tokens_in=0, tokens_out=0),
    ]


def test_the_session_turn_limit_written_to_settings_ends_the_run_with_a_failed_result(recorded: Recorded) -> None:
    message = "Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json."
    events = recorded("gemini-max-turns")
    assert [type(e) for e in events] == [Started, ToolUse, ToolResult, Usage, ErrorEvent, Result]
    assert events[-1] == Result(False, message, session_id="a5bded92-7780-4ccb-97ec-308677402748", tokens_in=198, tokens_out=59)


def test_assistant_deltas_are_joined_into_the_result_text_and_a_failed_tool_keeps_its_error() -> None:
    lines = [
        json.dumps({"type": "message", "role": "assistant", "content": "Hel", "delta": True}),
        json.dumps({"type": "message", "role": "assistant", "content": "lo", "delta": True}),
        json.dumps({"type": "tool_result", "tool_id": "t", "status": "error", "error": {"message": "denied"}}),
        json.dumps({"type": "result", "status": "success", "stats": {"input_tokens": 1, "output_tokens": 2}}),
    ]
    events = parse_lines(GeminiParser(), lines, 0)
    assert events[2] == ToolResult("denied", is_error=True, id="t")
    assert events[-1] == Result(True, "Hello", tokens_in=1, tokens_out=2)
