"""Every parser takes anything a process may print without raising, and always ends with exactly one Result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overseer.agents.registry import BUILTIN, get_harness
from overseer.domain.runs import Result, TextEvent

HARNESSES = sorted(BUILTIN)
KINDS = [
    "system", "assistant", "user", "result", "thread.started", "turn.started", "item.started", "item.completed", "turn.completed",
    "turn.failed", "error", "init", "message", "tool_use", "tool_result", "step_start", "step_finish", "text",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
typed_objects = st.fixed_dictionaries(
    {"type": st.sampled_from(KINDS)},
    optional={
        "subtype": st.sampled_from(["init", "api_retry", "success"]) | json_values,
        "message": json_values,
        "item": json_values,
        "part": json_values,
        "usage": json_values,
        "stats": json_values,
        "error": json_values,
        "content": json_values,
        "is_error": json_values,
    },
)
lines = st.one_of(st.text(max_size=80), json_values.map(json.dumps), typed_objects.map(json.dumps))


def options_for(name: str) -> dict[str, Any]:
    return {"command": ["agent"]} if name == "command" else {}


@pytest.mark.parametrize("name", HARNESSES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(output=st.lists(lines, max_size=12), exit_code=st.none() | st.integers(-15, 255))
def test_any_output_parses_without_raising_and_ends_in_one_result(name: str, output: list[str], exit_code: int | None) -> None:
    parser = get_harness(name, options_for(name)).parser()
    events = [e for line in output for e in parser.feed(line)] + parser.finish(exit_code)
    assert sum(isinstance(e, Result) for e in events) == 1


@pytest.mark.parametrize("name", HARNESSES)
def test_undecodable_text_and_ansi_codes_become_readable_raw_text(name: str) -> None:
    parser = get_harness(name, options_for(name)).parser()
    events = parser.feed("\x1b[1;31mbad \udcff byte\x1b[0m")
    texts = [e for e in events if isinstance(e, TextEvent)]
    assert texts and texts[0].text == "bad \ufffd byte"


@pytest.mark.parametrize("name", HARNESSES)
def test_a_process_that_printed_nothing_and_was_killed_fails_with_a_reason(name: str) -> None:
    events = get_harness(name, options_for(name)).parser().finish(None)
    assert isinstance(events[-1], Result)
    assert not events[-1].success and "was stopped" in events[-1].text
