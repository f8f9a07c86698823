from __future__ import annotations

import sys
from pathlib import Path

import pytest

from overseer.verify.proc import ToolError, find_tool, run, tool_version
from tests.verify.conftest import group_alive, process_alive


def test_a_command_s_exit_code_and_merged_output_are_reported(tmp_path: Path) -> None:
    done = run("echo out; echo err >&2; exit 3", tmp_path, timeout=10)
    assert (done.exit_code, done.timed_out) == (3, False)
    assert "out" in done.output and "err" in done.output


def test_stderr_can_be_kept_apart_from_stdout(tmp_path: Path) -> None:
    done = run([sys.executable, "-c", "import sys; print('json'); print('noise', file=sys.stderr)"], tmp_path, timeout=10,
               merge_stderr=False)
    assert done.output.strip() == "json" and done.stderr.strip() == "noise"


def test_a_command_past_its_timeout_is_killed_with_every_process_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    done = run(f"sleep 60 & echo $! > {pids}; echo $$ >> {pids}; wait", tmp_path, timeout=1, grace=0.5)
    assert done.timed_out and done.exit_code is None
    assert not group_alive(done.pid)
    assert not any(process_alive(int(p)) for p in pids.read_text().split())


@pytest.mark.parametrize("redirect", [">/dev/null 2>&1", ""], ids=["detached", "holding-the-output-pipe"])
def test_a_background_process_left_behind_after_exit_is_ended_too(tmp_path: Path, redirect: str) -> None:
    pid_file = tmp_path / "pid"
    done = run(f"sleep 60 {redirect} & echo $! > {pid_file}; echo done", tmp_path, timeout=30)
    assert done.exit_code == 0 and not done.timed_out and done.output.strip() == "done"
    assert not process_alive(int(pid_file.read_text()))


def test_stdin_is_closed_so_a_command_waiting_for_input_does_not_hang(tmp_path: Path) -> None:
    done = run([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], tmp_path, timeout=10)
    assert done.output.strip() == "''"


def test_output_past_the_limit_keeps_its_head_and_tail(tmp_path: Path) -> None:
    code = "print('FIRST'); print('x' * 100_000); print('LAST')"
    done = run([sys.executable, "-c", code], tmp_path, timeout=10, max_output=1000)
    assert done.output.startswith("FIRST") and done.output.rstrip().endswith("LAST")
    assert "bytes of output cut" in done.output and len(done.output) < 1200


def test_a_missing_binary_raises_a_tool_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="no-such-tool-xyz"):
        run(["no-such-tool-xyz", "--help"], tmp_path, timeout=5)


def test_tools_installed_beside_overseer_s_python_are_found_with_their_version() -> None:
    ruff = find_tool("ruff")
    assert ruff is not None and Path(ruff).parent == Path(sys.executable).parent
    version = tool_version([ruff, "--version"])
    assert version is not None and version[0].isdigit()
    assert find_tool("no-such-tool-xyz") is None
