"""supervise() with real subprocesses: how runs end, and what the log and the events keep."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from overseer.domain.runs import ExitReason, Result, TextEvent
from overseer.ports import Invocation
from overseer.runtime.process import STDERR_PREFIX, Limits, process_alive
from tests.runtime.helpers import Agent, emit

QUICK = Limits(stall_seconds=10, wall_seconds=30, exit_grace_seconds=1, kill_grace_seconds=1)


def test_a_successful_result_and_exit_zero_is_completed_with_the_reported_totals(agent: Agent) -> None:
    script = (emit(type="text", text="working") + emit(type="usage", tokens_in=100, tokens_out=20)
              + emit(type="usage", tokens_in=50, tokens_out=10)
              + emit(type="result", success=True, text="done", turns=4, session_id="s-1", cost_usd=0.5))
    outcome = agent.run(script, QUICK)
    assert outcome.reason is ExitReason.COMPLETED
    assert (outcome.exit_code, outcome.turns, outcome.cost_usd, outcome.session_id) == (0, 4, 0.5, "s-1")
    assert (outcome.tokens_in, outcome.tokens_out, outcome.events_count) == (150, 30, 4)
    assert outcome.result_text == "done" and outcome.error is None
    assert agent.parser.exit_codes == [0]


def test_a_result_with_token_totals_replaces_the_summed_usage(agent: Agent) -> None:
    script = emit(type="usage", tokens_in=100, tokens_out=20) + emit(type="result", success=True, tokens_in=999, tokens_out=7)
    outcome = agent.run(script, QUICK)
    assert (outcome.tokens_in, outcome.tokens_out) == (999, 7)


def test_a_failed_result_is_an_agent_error_carrying_its_text(agent: Agent) -> None:
    outcome = agent.run(emit(type="result", success=False, text="the model refused") + "raise SystemExit(1)", QUICK)
    assert outcome.reason is ExitReason.AGENT_ERROR
    assert outcome.error == "the model refused" and outcome.exit_code == 1


def test_a_failed_result_that_says_429_is_rate_limited(agent: Agent) -> None:
    outcome = agent.run(emit(type="result", success=False, text="API Error: 429 rate_limit_error") + "raise SystemExit(1)", QUICK)
    assert outcome.reason is ExitReason.RATE_LIMITED


def test_a_rate_limit_event_sets_the_reason_and_the_reset_time(agent: Agent) -> None:
    script = (emit(type="rate_limit", message="5-hour limit reached", reset_at="2030-01-02T03:04:05+00:00")
              + emit(type="result", success=False, text="limit") + "raise SystemExit(1)")
    outcome = agent.run(script, QUICK)
    assert outcome.reason is ExitReason.RATE_LIMITED
    assert outcome.error == "5-hour limit reached"
    assert outcome.rate_limit_reset_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_rate_limit_the_agent_recovered_from_does_not_spoil_a_completed_run(agent: Agent) -> None:
    outcome = agent.run(emit(type="error", message="429, retrying", status=429) + emit(type="result", success=True, text="ok"), QUICK)
    assert outcome.reason is ExitReason.COMPLETED


def test_a_non_zero_exit_without_a_result_is_exit_code_with_the_last_stderr_line(agent: Agent) -> None:
    outcome = agent.run("import sys; print('boom: config missing', file=sys.stderr); sys.exit(3)", QUICK)
    assert outcome.reason is ExitReason.EXIT_CODE and outcome.exit_code == 3
    assert outcome.error is not None and "exited with code 3" in outcome.error and "boom: config missing" in outcome.error


def test_a_missing_binary_is_a_spawn_error_not_an_exception(agent: Agent) -> None:
    outcome = agent.run("", QUICK, invocation=Invocation(argv=("/nonexistent/agent-cli", "-p", "hi")))
    assert outcome.reason is ExitReason.SPAWN_ERROR and outcome.exit_code is None and outcome.pid is None
    assert outcome.error is not None and "/nonexistent/agent-cli" in outcome.error
    assert b"cannot start" in agent.log


def test_stderr_lines_are_logged_and_fed_to_the_parser_marked(agent: Agent) -> None:
    agent.run("import sys; print('to stdout'); print('to stderr', file=sys.stderr)", QUICK)
    assert "to stdout" in agent.parser.lines and STDERR_PREFIX + "to stderr" in agent.parser.lines
    assert b"to stdout\n" in agent.log and (STDERR_PREFIX + "to stderr\n").encode() in agent.log


def test_the_invocation_files_stdin_and_env_reach_the_process(agent: Agent) -> None:
    script = "import os, sys; print(open('conf/settings.json').read(), sys.stdin.read(), os.environ['EXTRA'], os.environ['BASE'])"
    inv = Invocation(argv=(sys.executable, "-c", script), env={"EXTRA": "from-inv"}, files={Path("conf/settings.json"): "{}"},
                     stdin="from-stdin")
    outcome = agent.run("", QUICK, invocation=inv, env={"BASE": "from-env", "EXTRA": "overridden"})
    assert outcome.reason is ExitReason.COMPLETED
    assert "{} from-stdin from-inv from-env" in agent.parser.lines


def test_stdin_is_closed_when_the_invocation_gives_none(agent: Agent) -> None:
    outcome = agent.run("import sys; print('read', repr(sys.stdin.read()))", QUICK)
    assert outcome.reason is ExitReason.COMPLETED and "read ''" in agent.parser.lines


def test_events_reach_the_callback_in_order(agent: Agent) -> None:
    agent.run(emit(type="text", text="one") + emit(type="text", text="two") + emit(type="result", success=True), QUICK)
    assert agent.events == [TextEvent("one"), TextEvent("two"), Result(success=True)]


def test_secrets_are_masked_in_the_log_in_events_and_in_the_error(agent: Agent) -> None:
    secret = "sk-test-0123456789abcdef"
    script = ("import os, sys, json; key = os.environ['API_KEY']; print('key is', key); print('err', key, file=sys.stderr)\n"
              "print(json.dumps({'type': 'text', 'text': 'I see ' + key}), flush=True)\n"
              "print(json.dumps({'type': 'tool_use', 'name': 'Bash', 'input': {'cmd': ['echo', key]}}), flush=True)\n"
              "sys.exit('fatal: ' + key)")
    outcome = agent.run(script, QUICK, env={"API_KEY": secret}, secrets=(secret,))
    assert secret.encode() not in agent.log and b"key is ***" in agent.log
    assert agent.events[0] == TextEvent("I see ***")
    assert agent.events[1].input == {"cmd": ["echo", "***"]}  # type: ignore[union-attr]
    assert outcome.error is not None and secret not in outcome.error and "fatal: ***" in outcome.error


def test_undecodable_bytes_survive_in_the_log_and_are_replaced_for_the_parser(agent: Agent) -> None:
    outcome = agent.run(r"import sys; sys.stdout.buffer.write(b'caf\xe9 \xff\xfe ok\n')", QUICK)
    assert outcome.reason is ExitReason.COMPLETED
    assert b"caf\xe9 \xff\xfe ok\n" in agent.log
    assert "caf\ufffd \ufffd\ufffd ok" in agent.parser.lines


def test_a_ten_megabyte_line_does_not_crash_the_reader(agent: Agent) -> None:
    script = "import sys; sys.stdout.write('a' * 10_000_000 + '\\n'); sys.stdout.flush()\n" + emit(type="result", success=True)
    outcome = agent.run(script, QUICK, max_bytes=100_000)
    assert outcome.reason is ExitReason.COMPLETED
    assert [len(line) for line in agent.parser.lines] == [10_000_000, len('{"type": "result", "success": true}')]


def test_a_last_line_without_a_newline_is_still_parsed(agent: Agent) -> None:
    outcome = agent.run("import sys; sys.stdout.write('{\"type\": \"result\", \"success\": true}')", QUICK)
    assert outcome.reason is ExitReason.COMPLETED and outcome.result_text == ""


def test_an_output_flood_keeps_the_log_under_its_cap_with_head_marker_and_tail(agent: Agent) -> None:
    script = ("import sys; out = sys.stdout.buffer; out.write(b'FIRST LINE\\n'); line = b'x' * 999 + b'\\n'\n"
              "for _ in range(50_000): out.write(line)\n"
              "out.write(b'LAST LINE\\n')")
    outcome = agent.run(script, QUICK, max_bytes=200_000)
    assert outcome.reason is ExitReason.COMPLETED
    log = agent.log
    assert len(log) <= 200_000
    assert log.index(b"FIRST LINE") < 100 and b"LAST LINE\n" in log[-1000:]
    omitted = re.findall(rb"\n\[\xe2\x80\xa6 (\d+) bytes omitted \xe2\x80\xa6\]\n", log)
    assert len(omitted) == 1 and int(omitted[0]) > 49_000_000
    assert len(agent.parser.lines) == 50_002


def test_the_heartbeat_is_called_while_the_process_runs(agent: Agent) -> None:
    beats: list[int] = []

    async def beat() -> None:
        beats.append(1)

    outcome = agent.run("import time; time.sleep(1)", QUICK, heartbeat=beat, heartbeat_seconds=0.1)
    assert outcome.reason is ExitReason.COMPLETED and len(beats) >= 2


def test_on_spawn_gets_the_pid_and_failing_callbacks_are_logged_without_stopping_the_run(agent: Agent) -> None:
    spawned: list[int] = []

    def on_spawn(pid: int) -> None:
        spawned.append(pid)
        raise RuntimeError("store is down")

    outcome = agent.run(emit(type="result", success=True), QUICK, on_spawn=on_spawn)
    assert outcome.reason is ExitReason.COMPLETED and spawned == [outcome.pid]
    assert b"[overseer] on_spawn failed: RuntimeError('store is down')" in agent.log


def test_process_alive_says_no_for_a_pid_that_is_gone(agent: Agent) -> None:
    outcome = agent.run("pass", QUICK)
    assert outcome.pid is not None and not process_alive(outcome.pid)
