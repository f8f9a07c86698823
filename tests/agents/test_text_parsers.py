"""The plain-text harnesses — aider, mini-swe-agent and the command harness — parsed from recorded real output."""

from __future__ import annotations

import json
from collections.abc import Callable

from overseer.agents.aider import AiderParser
from overseer.agents.command import CommandParser
from overseer.agents.mini_swe_agent import MiniSweAgentParser
from overseer.domain.runs import AgentEvent, Cost, ErrorEvent, RateLimit, Result, Started, TextEvent, ToolResult, ToolUse, Usage
from tests.agents.conftest import parse_lines

Recorded = Callable[[str], list[AgentEvent]]


def structured(events: list[AgentEvent]) -> list[AgentEvent]:
    """Everything but plain text lines."""
    return [e for e in events if not isinstance(e, TextEvent)]


# -- aider ----------------------------------------------------------------------------------------------
def test_aiders_model_line_token_line_and_applied_edit_become_started_usage_cost_and_a_tool_use(recorded: Recorded) -> None:
    events = recorded("aider-success")
    assert structured(events) == [
        Started(model="openai/gpt-4o-mini"),
        Usage(848, 24),
        Cost(0.00014),
        ToolUse("apply_edit", {"path": "hello.txt"}),
        Result(True, "", tokens_in=848, tokens_out=24, cost_usd=0.00014),
    ]
    assert TextEvent("hello from the scripted model", role="raw") in events


def test_an_api_error_fails_aiders_result_although_aider_exits_zero(recorded: Recorded) -> None:
    message = "litellm.BadRequestError: OpenAIException - scripted bad key"
    assert structured(recorded("aider-401"))[1:] == [ErrorEvent(message), Result(False, message, tokens_in=0, tokens_out=0)]


def test_an_aider_error_followed_by_retrying_is_forgiven_and_thousands_of_tokens_are_counted() -> None:
    lines = [
        "litellm.RateLimitError: RateLimitError: OpenAIException - 429 slow down",
        "Retrying in 0.2 seconds...",
        "Tokens: 1.2k sent, 3.4k cache hit, 16 received. Cost: $0.01 message, $0.02 session.",
    ]
    assert structured(parse_lines(AiderParser(), lines, 0)) == [
        RateLimit(lines[0], status=429),
        Usage(1200, 16),
        Cost(0.02),
        Result(True, "", tokens_in=1200, tokens_out=16, cost_usd=0.02),
    ]


# -- mini-swe-agent -------------------------------------------------------------------------------------
def test_mini_swe_agent_steps_become_text_bash_calls_their_output_and_a_successful_result_on_submit(recorded: Recorded) -> None:
    events = recorded("mini-swe-agent-success")
    write = "printf %s 'hello from the scripted model\nsecond line with '\"'\"'quotes'\"'\"' and $dollars\n' > hello.txt"
    assert [e for e in events if not (isinstance(e, TextEvent) and e.role != "assistant")] == [
        Started(),
        TextEvent("I will create hello.txt."),
        ToolUse("bash", {"command": write}),
        ToolResult("", is_error=False),
        TextEvent("Wrote hello.txt."),
        ToolUse("bash", {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"}),
        ToolResult("action was not executed", is_error=True),  # mini shows the submit command as not executed
        Result(True, "Wrote hello.txt.", turns=2, cost_usd=0.0),
    ]
    assert TextEvent("Please solve this issue: Create hello.txt", role="user") in events


def test_an_exception_that_ends_mini_swe_agent_is_an_error_and_a_failed_result(recorded: Recorded) -> None:
    message = "litellm.InternalServerError: InternalServerError: OpenAIException - scripted server error"
    assert structured(recorded("mini-swe-agent-500")) == [Started(), ErrorEvent(message), Result(False, message, turns=0, cost_usd=0.0)]


def test_mini_swe_agent_stopping_on_its_step_limit_is_a_failed_result_without_an_error() -> None:
    lines = ["mini-swe-agent (step 3, $0.12):", "thinking", "```", "ls", "```", "Exit:", "LimitsExceeded"]
    assert structured(parse_lines(MiniSweAgentParser(), lines, 0)) == [
        Cost(0.12),
        ToolUse("bash", {"command": "ls"}),
        Result(False, "LimitsExceeded", turns=3, cost_usd=0.12),
    ]


def test_a_fence_with_a_language_in_a_model_message_is_prose_not_a_bash_call() -> None:
    lines = ["mini-swe-agent (step 1, $0.00):", "```python", "print(1)", "```", "```", "pwd", "```"]
    events = structured(parse_lines(MiniSweAgentParser(), lines, 1))
    assert events[0] == ToolUse("bash", {"command": "pwd"})


# -- command --------------------------------------------------------------------------------------------
def test_the_command_harness_maps_usage_and_result_lines_and_sums_usage_into_the_result(recorded: Recorded) -> None:
    assert recorded("command-success") == [
        TextEvent("model scripted-model answered", role="raw"),
        Usage(36, 79),
        Result(True, "wrote hello.txt", turns=1, tokens_in=36, tokens_out=79),
    ]


def test_without_a_result_line_the_command_harness_result_follows_the_exit_code() -> None:
    assert parse_lines(CommandParser(), ["working"], 0)[-1] == Result(True, "")
    assert parse_lines(CommandParser(), ["working"], 3)[-1] == Result(False, "command exited with code 3 without reporting a result")


def test_a_command_result_line_in_claudes_shape_is_understood() -> None:
    line = {"type": "result", "is_error": True, "result": "gave up", "num_turns": 4, "total_cost_usd": 0.5, "usage": {"input_tokens": 7}}
    assert CommandParser().feed(json.dumps(line)) == [Cost(0.5), Result(False, "gave up", turns=4, tokens_in=7, tokens_out=0, cost_usd=0.5)]
