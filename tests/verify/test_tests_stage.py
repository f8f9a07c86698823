from __future__ import annotations

import os
from pathlib import Path

import pytest

from overseer.config.verify import TestsConfig as SuiteConfig  # aliased: pytest would try to collect a class named Test*
from overseer.domain.verification import Severity, StageStatus
from overseer.verify.tests_stage import TestsStage, parse_failures, parse_summary, pytest_args
from tests.verify.conftest import Repo, group_alive, process_alive

HANGS = '''\
import os
import subprocess
import time
from pathlib import Path


def test_hangs() -> None:
    child = subprocess.Popen(["sleep", "60"])
    Path(os.environ["PID_FILE"]).write_text(f"{os.getpid()} {os.getpgid(0)} {child.pid}")
    time.sleep(60)
'''

FLAKY = '''\
import os
from pathlib import Path


def test_flaky() -> None:
    marker = Path(os.environ["FLAKY_MARKER"])
    if not marker.exists():
        marker.write_text("failed once")
        raise AssertionError("fails the first time")
'''


def test_a_passing_suite_passes_with_its_pass_rate(repo: Repo) -> None:
    result = TestsStage().run(repo.ctx(repo.head, repo.head))
    assert result.status == StageStatus.PASSED and result.findings == ()
    assert result.metrics["test_pass_rate"] == 1.0 and result.metrics["tests_passed"] == 2
    assert result.detail == "2 passed" and result.tools["pytest"][0].isdigit()


def test_a_failing_test_fails_the_stage_naming_the_test_and_where(repo: Repo) -> None:
    ctx = repo.change({"calc.py": (repo.path / "calc.py").read_text().replace("return a - b", "return a + b")})
    result = TestsStage().run(ctx)
    assert result.status == StageStatus.FAILED
    assert [(f.type, f.severity, f.file, f.line) for f in result.findings] == [("TEST_FAILURE", Severity.HIGH, "tests/test_calc.py", 9)]
    assert result.findings[0].message.startswith("tests/test_calc.py::test_sub failed: assert 8 == 2")
    assert result.metrics["test_pass_rate"] == 0.5
    assert "1 failed, 1 passed" in result.detail


def test_a_hung_suite_is_killed_at_the_timeout_with_every_process_it_started(repo: Repo, tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    ctx = repo.change({"tests/test_hang.py": HANGS})
    result = TestsStage(SuiteConfig(timeout_seconds=2, env={"PID_FILE": str(pid_file)})).run(ctx)
    assert result.status == StageStatus.TIMEOUT
    assert [(f.type, f.severity, f.message) for f in result.findings] == [("TEST_TIMEOUT", Severity.HIGH, "killed after 2s")]
    assert "killed after 2s; last output:" in result.detail
    test_pid, pgid, child_pid = (int(p) for p in pid_file.read_text().split())
    assert not process_alive(test_pid) and not process_alive(child_pid)
    assert not group_alive(pgid)


def test_a_flaky_test_that_fails_is_reported_as_failed_not_retried_into_a_pass(repo: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "flaky-marker"
    ctx = repo.change({"tests/test_flaky.py": FLAKY})
    stage = TestsStage(SuiteConfig(env={"FLAKY_MARKER": str(marker)}))
    first = stage.run(ctx)
    assert first.status == StageStatus.FAILED
    assert any("test_flaky.py::test_flaky failed" in f.message for f in first.findings)
    assert marker.read_text() == "failed once"  # it ran once: a hidden retry would have passed
    assert stage.run(ctx).status == StageStatus.PASSED


def test_coverage_under_the_floor_fails_the_stage(repo: Repo) -> None:
    ctx = repo.change({"calc.py": (repo.path / "calc.py").read_text() + "\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n"})
    result = TestsStage(SuiteConfig(coverage_floor=95)).run(ctx)
    assert result.status == StageStatus.FAILED
    assert [(f.type, f.severity, f.message) for f in result.findings] == [
        ("COVERAGE", Severity.HIGH, "coverage 90.9% is under the floor 95%")]
    assert result.metrics["coverage"] == pytest.approx(90.91) and result.metrics["test_pass_rate"] == 1.0
    assert not list(repo.path.glob(".coverage*")), "coverage data must stay out of the tree"


def test_coverage_over_the_floor_passes_and_is_recorded(repo: Repo) -> None:
    result = TestsStage(SuiteConfig(coverage_floor=80)).run(repo.ctx(repo.head, repo.head))
    assert result.status == StageStatus.PASSED and result.metrics["coverage"] == 100.0
    assert "coverage 100.0% (floor 80%)" in result.detail and "coverage" in result.tools


def test_a_coverage_floor_with_a_command_that_is_not_pytest_is_an_error_saying_what_to_do(repo: Repo) -> None:
    result = TestsStage(SuiteConfig(command="make test", coverage_floor=80)).run(repo.ctx(repo.head, repo.head))
    assert result.status == StageStatus.ERROR and "not a plain pytest command" in result.detail


def test_a_suite_that_collects_nothing_fails_as_no_tests_ran(empty_repo: Repo) -> None:
    ctx = empty_repo.change({"tests/__init__.py": ""})
    result = TestsStage().run(ctx)
    assert result.status == StageStatus.FAILED and result.detail == "no tests ran"
    assert result.findings[0].message == "no tests ran: pytest collected nothing"


def test_a_tree_without_tests_is_skipped(empty_repo: Repo) -> None:
    result = TestsStage().run(empty_repo.ctx(empty_repo.head, empty_repo.head))
    assert result.status == StageStatus.SKIPPED and result.detail == "no test command configured or detected"


def test_a_configured_command_that_fails_reports_its_exit_and_last_output(empty_repo: Repo) -> None:
    result = TestsStage(SuiteConfig(command="echo checking widgets; exit 3")).run(empty_repo.ctx(empty_repo.head, empty_repo.head))
    assert result.status == StageStatus.FAILED
    assert result.findings[0].message == "`echo checking widgets; exit 3` exited 3: checking widgets"


def test_a_command_that_cannot_run_is_an_error_not_a_failure(empty_repo: Repo) -> None:
    result = TestsStage(SuiteConfig(command="no-such-test-runner-xyz")).run(empty_repo.ctx(empty_repo.head, empty_repo.head))
    assert result.status == StageStatus.ERROR and "cannot run (exit 127)" in result.detail


def test_the_suite_sees_the_configured_and_task_env_but_not_overseer_s(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSEER_SECRET_FOR_TEST", "leaked")
    check = ("import os\n\n\ndef test_env() -> None:\n    assert 'OVERSEER_SECRET_FOR_TEST' not in os.environ\n"
             "    assert os.environ['FROM_CONFIG'] == 'c' and os.environ['FROM_TASK'] == 't'\n")
    base, head = repo.commit({"tests/test_env.py": check})
    result = TestsStage(SuiteConfig(env={"FROM_CONFIG": "c"})).run(repo.ctx(base, head, env={"FROM_TASK": "t"}))
    assert result.status == StageStatus.PASSED, result.detail
    assert "OVERSEER_SECRET_FOR_TEST" in os.environ


def test_retest_runs_the_suite_on_any_tree(repo: Repo) -> None:
    assert TestsStage().retest(repo.path).status == StageStatus.PASSED
    (repo.path / "calc.py").write_text("def add(a, b):\n    return 0\n\n\ndef sub(a, b):\n    return 0\n")
    assert TestsStage().retest(repo.path).status == StageStatus.FAILED


def test_pytest_commands_are_recognised_for_coverage() -> None:
    assert pytest_args("python3 -m pytest -q tests") == ("python3", ["-q", "tests"])
    assert pytest_args("pytest -x")[1] == ["-x"]  # type: ignore[index]
    assert pytest_args("make test") is None and pytest_args("pytest && echo ok") is None and pytest_args("CI=1 pytest") is None


def test_pytest_s_summary_and_failure_lines_are_parsed() -> None:
    out = ("tests/test_a.py:12: AssertionError\n"
           "FAILED tests/test_a.py::test_one[x y] - AssertionError: boom\n"
           "ERROR tests/test_b.py - ImportError: no module named q\n"
           "===== 1 failed, 3 passed, 1 error, 2 skipped in 0.52s =====\n")
    assert parse_summary(out) == {"failed": 1, "passed": 3, "errors": 1, "skipped": 2}
    assert parse_failures(out) == [
        ("tests/test_a.py::test_one[x y]", "tests/test_a.py", 12, "tests/test_a.py::test_one[x y] failed: AssertionError: boom"),
        ("tests/test_b.py", "tests/test_b.py", None, "error in tests/test_b.py: ImportError: no module named q"),
    ]


def test_coverage_without_a_floor_is_a_figure_when_it_can_be_measured_and_never_an_error_when_not(repo: Repo) -> None:
    ctx = repo.ctx(repo.head, repo.head)
    measured = TestsStage(SuiteConfig(coverage=True)).run(ctx)
    assert measured.status == StageStatus.PASSED and measured.metrics["coverage"] > 0 and not measured.findings
    shell = TestsStage(SuiteConfig(command="python -c 'print(1)'", coverage=True)).run(ctx)  # not a pytest command
    assert shell.status == StageStatus.PASSED and "coverage" not in shell.metrics
