"""Codex's ``exec --json`` lines, recorded from codex 0.171.0 against the scripted model server, parsed to events."""

from __future__ import annotations

import json
from collections.abc import Callable

from overseer.agents.codex import CodexParser
from overseer.domain.runs import AgentEvent, ErrorEvent, RateLimit, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from tests.agents.conftest import parse_lines

Recorded = Callable[[str], list[AgentEvent]]
METADATA_WARNING = ErrorEvent(
    "Model metadata for `gpt-5` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."
)
WRITE_COMMAND = (  # codex wraps the scripted shell command in bash -lc, quoting it once more
    "/bin/bash -lc \"printf %s 'hello from the scripted model\nsecond line with "
    "'\\\"'\\\"'quotes'\\\"'\\\"' and \"'$dollars\n'\"' > hello.txt\""
)


def test_a_successful_codex_run_becomes_a_command_its_output_the_message_usage_and_a_successful_result_at_finish(
    recorded: Recorded,
) -> None:
    session = "01a233fb-e39c-7c72-bc1c-a6a187e7dc5b"
    assert recorded("codex-success") == [
        Started(session),
        METADATA_WARNING,
        ToolUse("command_execution", {"command": WRITE_COMMAND}, "item_1"),
        ToolResult("", is_error=False, id="item_1"),
        TextEvent("Wrote hello.txt."),
        Usage(10680, 115),
        Result(True, "Wrote hello.txt.", turns=1, session_id=session, tokens_in=10680, tokens_out=115),
    ]


def test_a_429_that_exhausts_codexs_retries_is_one_rate_limit_and_a_failed_result(recorded: Recorded) -> None:
    message = "exceeded retry limit, last status: 429 Too Many Requests"
    assert recorded("codex-429")[2:] == [
        RateLimit(message, status=429),
        Result(False, message, turns=1, session_id="01a233fc-90f5-7fa0-b6c7-b84ac9debbd2", tokens_in=0, tokens_out=0),
    ]


def test_a_500_fails_the_turn_and_the_result_carries_codexs_message(recorded: Recorded) -> None:
    message = "We\u2019re currently experiencing high demand, which may cause temporary errors."  # codex's own apostrophe
    assert recorded("codex-500")[2:] == [
        ErrorEvent(message),
        Result(False, message, turns=1, session_id="01a233fc-9393-7863-bec2-20330b90da8e", tokens_in=0, tokens_out=0),
    ]


def test_a_completed_turn_is_not_a_success_when_the_process_then_exits_non_zero() -> None:
    lines = [json.dumps({"type": "turn.started"}), json.dumps({"type": "turn.completed", "usage": {"input_tokens": 3, "output_tokens": 4}})]
    assert parse_lines(CodexParser(), lines, 2)[-1] == Result(
        False, "codex exited with code 2 without reporting a result", turns=1, tokens_in=3, tokens_out=4
    )


def test_a_command_seen_only_at_completion_still_gives_its_tool_use_and_a_failing_exit_code_marks_the_result() -> None:
    item = {"id": "i9", "type": "command_execution", "command": "false", "aggregated_output": "boom", "exit_code": 1, "status": "failed"}
    events = CodexParser().feed(json.dumps({"type": "item.completed", "item": item}))
    assert events == [ToolUse("command_execution", {"command": "false"}, "i9"), ToolResult("boom", is_error=True, id="i9")]


def test_file_changes_and_mcp_calls_are_tool_uses_with_results() -> None:
    change = {"id": "f1", "type": "file_change", "changes": [{"path": "a.py", "kind": "add"}], "status": "completed"}
    mcp = {
        "id": "m1",
        "type": "mcp_tool_call",
        "server": "docs",
        "tool": "search",
        "arguments": {"q": "x"},
        "result": {"hits": 1},
        "status": "completed",
    }
    parser = CodexParser()
    events = parser.feed(json.dumps({"type": "item.completed", "item": change})) + parser.feed(
        json.dumps({"type": "item.completed", "item": mcp})
    )
    assert events == [
        ToolUse("file_change", {"changes": [{"path": "a.py", "kind": "add"}]}, "f1"),
        ToolResult("completed", id="f1"),
        ToolUse("docs.search", {"q": "x"}, "m1"),
        ToolResult('{"hits": 1}', id="m1"),
    ]
