"""OpenCode's ``run --format json`` lines, recorded from opencode 1.18.33 against the scripted model server."""

from __future__ import annotations

import json
from collections.abc import Callable

from overseer.agents.opencode import OpenCodeParser
from overseer.domain.runs import AgentEvent, Cost, RateLimit, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from tests.agents.conftest import parse_lines
from tests.agents.live import CONTENT

Recorded = Callable[[str], list[AgentEvent]]


def test_a_successful_opencode_run_becomes_the_write_step_usage_the_text_and_a_successful_result_at_finish(recorded: Recorded) -> None:
    session, call = "ses_dcc03f0a6ffe4qHii723NVbxGE", "call_scripted_000013"
    assert recorded("opencode-success") == [
        Started(session),
        ToolUse("write", {"filePath": "/work/repo/hello.txt", "content": CONTENT}, call),
        ToolResult("Wrote file successfully.", id=call),
        Usage(3113, 79),
        Cost(0.0),
        TextEvent("Wrote hello.txt."),
        Usage(3216, 13),
        Cost(0.0),
        Result(True, "Wrote hello.txt.", turns=2, session_id=session, tokens_in=6329, tokens_out=92, cost_usd=0.0),
    ]


def test_a_run_that_stops_after_tool_calls_is_not_a_success_even_with_exit_code_zero() -> None:
    finish = {"type": "step_finish", "part": {"reason": "tool-calls", "tokens": {"input": 5, "output": 1}, "cost": 0.25}}
    events = parse_lines(OpenCodeParser(), [json.dumps({"type": "step_start", "sessionID": "s"}), json.dumps(finish)], 0)
    assert events[-1] == Result(
        False, "opencode exited with code 0 without reporting a result", turns=1, session_id="s", tokens_in=5, tokens_out=1, cost_usd=0.25
    )


def test_an_error_line_about_a_rate_limit_becomes_a_rate_limit_and_fails_the_result() -> None:
    error = {"type": "error", "error": {"name": "APIError", "data": {"message": "Rate limit exceeded", "statusCode": 429}}}
    events = parse_lines(OpenCodeParser(), [json.dumps(error)], 1)
    assert events == [
        RateLimit("Rate limit exceeded", status=429),
        Result(False, "Rate limit exceeded", turns=0, tokens_in=0, tokens_out=0, cost_usd=0.0),
    ]
