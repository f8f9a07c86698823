"""Each limit kills the whole process group and says which limit it was."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from pathlib import Path

from overseer.domain.runs import ExitReason
from overseer.ports import Invocation
from overseer.runtime.logs import BoundedLog
from overseer.runtime.process import Limits, Outcome, kill_group, process_alive, supervise
from tests.runtime.helpers import Agent, JsonLines, emit

SLEEP_FOREVER = "import time; time.sleep(60)\n"


def test_a_silent_agent_is_killed_for_stalling_together_with_its_grandchild(agent: Agent) -> None:
    script = ("import subprocess, time; child = subprocess.Popen(['sleep', '1000']); print('child', child.pid, flush=True)\n"
              + SLEEP_FOREVER)
    outcome = agent.run(script, Limits(stall_seconds=1, wall_seconds=30, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.STALL_TIMEOUT
    assert outcome.error is not None and "no output for 1 s" in outcome.error
    grandchild = int(next(line for line in agent.parser.lines if line.startswith("child ")).split()[1])
    assert not process_alive(grandchild)
    assert outcome.pid is not None and not process_alive(outcome.pid)


def test_an_agent_that_keeps_talking_is_killed_at_the_wall_timeout(agent: Agent) -> None:
    script = "import time\nwhile True:\n    print('still here', flush=True)\n    time.sleep(0.1)\n"
    outcome = agent.run(script, Limits(stall_seconds=10, wall_seconds=1, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.WALL_TIMEOUT
    assert outcome.exit_code is not None and outcome.exit_code < 0


def test_a_process_that_ignores_sigterm_is_killed_with_sigkill(agent: Agent) -> None:
    script = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True)\n" + SLEEP_FOREVER
    outcome = agent.run(script, Limits(stall_seconds=1, wall_seconds=30, kill_grace_seconds=0.5))
    assert outcome.reason is ExitReason.STALL_TIMEOUT and outcome.exit_code == -9


def test_the_cost_cap_kills_a_run_whose_cumulative_cost_passes_it(agent: Agent) -> None:
    script = emit(type="cost", usd=0.10) + emit(type="cost", usd=0.20) + emit(type="cost", usd=0.30) + SLEEP_FOREVER
    outcome = agent.run(script, Limits(stall_seconds=10, wall_seconds=30, max_cost_usd=0.25, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.COST_CAP
    assert outcome.cost_usd == 0.30
    assert outcome.error is not None and "max_cost_usd $0.25" in outcome.error


def test_incremental_costs_add_up_towards_the_cap(agent: Agent) -> None:
    script = "".join(emit(type="cost", usd=0.1, cumulative=False) for _ in range(4)) + SLEEP_FOREVER
    outcome = agent.run(script, Limits(stall_seconds=10, wall_seconds=30, max_cost_usd=0.35, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.COST_CAP and round(outcome.cost_usd, 6) == 0.4


def test_max_turns_kills_the_run_when_the_next_assistant_turn_begins(agent: Agent) -> None:
    turn = emit(type="text", text="let me look") + emit(type="tool_use", name="Read") + emit(type="tool_result", output="...")
    outcome = agent.run(turn * 3 + SLEEP_FOREVER, Limits(stall_seconds=10, wall_seconds=30, max_turns=2, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.MAX_TURNS and outcome.turns == 3


def test_turns_within_the_limit_let_the_run_complete(agent: Agent) -> None:
    turn = emit(type="text", text="let me look") + emit(type="tool_use", name="Read") + emit(type="tool_result", output="...")
    outcome = agent.run(turn * 2 + emit(type="text", text="done"), Limits(stall_seconds=10, wall_seconds=30, max_turns=3))
    assert outcome.reason is ExitReason.COMPLETED and outcome.turns == 3


def test_an_agent_that_lingers_after_a_successful_result_is_killed_and_still_completed(agent: Agent) -> None:
    script = emit(type="result", success=True, text="all done") + SLEEP_FOREVER
    outcome = agent.run(script, Limits(stall_seconds=10, wall_seconds=30, exit_grace_seconds=0.5, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.COMPLETED and outcome.exit_code is not None and outcome.exit_code < 0
    assert outcome.result_text == "all done"


def test_a_background_process_left_behind_after_a_normal_exit_is_killed(agent: Agent) -> None:
    script = "import subprocess; child = subprocess.Popen(['sleep', '1000']); print('child', child.pid, flush=True)\n"
    outcome = agent.run(script, Limits(stall_seconds=10, wall_seconds=30, kill_grace_seconds=1))
    assert outcome.reason is ExitReason.COMPLETED
    grandchild = int(agent.parser.lines[0].split()[1])
    assert not process_alive(grandchild)


def test_kill_group_ends_a_process_group_found_after_a_restart() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess, time; subprocess.Popen(['sleep', '1000']); time.sleep(1000)"],
                            start_new_session=True)
    try:
        time.sleep(0.2)
        assert process_alive(proc.pid)
        assert asyncio.run(kill_group(proc.pid, grace=1)) is True
        proc.wait(timeout=5)
        assert not process_alive(proc.pid)
        assert asyncio.run(kill_group(proc.pid, grace=1)) is False
    finally:
        proc.kill()
        proc.wait()


def test_setting_the_cancel_event_kills_the_run_as_cancelled(tmp_path: Path) -> None:
    async def main() -> Outcome:
        cancel = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, cancel.set)
        with BoundedLog(tmp_path / "run.log", 10_000) as log:
            inv = Invocation(argv=(sys.executable, "-c", "print('working', flush=True)\n" + SLEEP_FOREVER))
            return await supervise(inv, tmp_path, {}, JsonLines(), Limits(stall_seconds=10, wall_seconds=30, kill_grace_seconds=1),
                                   log, cancel=cancel)

    outcome = asyncio.run(main())
    assert outcome.reason is ExitReason.CANCELLED and outcome.pid is not None and not process_alive(outcome.pid)


def test_cancelling_the_supervising_task_kills_the_process_group(tmp_path: Path) -> None:
    pids: list[int] = []

    async def main() -> None:
        with BoundedLog(tmp_path / "run.log", 10_000) as log:
            inv = Invocation(argv=(sys.executable, "-c", "print('working', flush=True)\n" + SLEEP_FOREVER))
            task = asyncio.ensure_future(supervise(inv, tmp_path, {}, JsonLines(), Limits(stall_seconds=10, wall_seconds=30), log,
                                                   on_spawn=pids.append))
            await asyncio.sleep(0.5)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(main())
    time.sleep(0.2)
    assert len(pids) == 1 and not process_alive(pids[0])
