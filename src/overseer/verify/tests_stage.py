"""The project's tests, run in the worktree with a timeout, and optionally a coverage floor.

The command is ``verify.tests.command`` (a shell string) or, when unset, pytest (``python -m pytest -q -x -p
no:cacheprovider`` under Overseer's Python) if the tree has pytest config, a ``tests/`` folder or ``test_*.py``
files; otherwise the stage is SKIPPED. It runs in its own process group with a minimal environment (PATH, HOME, locale,
temp dir) plus ``verify.tests.env`` plus the context's env; at ``timeout_seconds`` the whole group is killed.

    killed at the timeout        TIMEOUT, TEST_TIMEOUT (HIGH) "killed after 600s", the last output in the detail
    non-zero exit                FAILED, a TEST_FAILURE (HIGH) per ``FAILED``/``ERROR`` line of pytest's summary
    pytest exit 5                FAILED, "no tests ran"
    exit 126/127                 ERROR: the command itself cannot run
    coverage under the floor     FAILED, COVERAGE (HIGH) "coverage 71.2% is under the floor 80%"

With ``coverage_floor`` a pytest command runs as ``python -m coverage run -m pytest ...`` (data kept outside the
tree), and ``coverage json`` gives ``totals.percent_covered``. Metrics: ``test_pass_rate``, ``tests_passed``,
``tests_failed``, ``coverage``. The stage only reads ``ctx.workdir`` and ``ctx.env``, so it re-runs on any tree
(``retest``: a merge before landing).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from overseer.config.verify import TestsConfig
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus
from overseer.ports import CheckContext
from overseer.verify.proc import Completed, ToolError, run

__all__ = ["TestsStage", "detect_command", "minimal_env", "parse_failures", "parse_summary", "pytest_args"]

PYTEST_FLAGS = ("-q", "-x", "-p", "no:cacheprovider")
_PASS_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT")
_CONFIGS = {"pytest.ini": None, "pyproject.toml": "[tool.pytest", "setup.cfg": "[tool:pytest]", "tox.ini": "[pytest]"}
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"}
_SUMMARY_TIME = re.compile(r" in \d+(?:\.\d+)?s\b")
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")
_FAILED = re.compile(r"^(FAILED|ERROR) (.+?)(?: - (.*))?$")
_WHERE = re.compile(r"^([^\s:]+\.py):(\d+): ")
_REMEDIATION = "make the failing tests pass without weakening them"


def detect_command(workdir: Path) -> str | None:
    """The pytest command when the tree looks like it has pytest tests, else None."""
    if _has_pytest_config(workdir) or (workdir / "tests").is_dir() or _has_test_files(workdir):
        return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "pytest", *PYTEST_FLAGS))
    return None


def _has_pytest_config(workdir: Path) -> bool:
    for name, marker in _CONFIGS.items():
        path = workdir / name
        if path.is_file() and (marker is None or marker in path.read_text(encoding="utf-8", errors="replace")):
            return True
    return False


def _has_test_files(workdir: Path, limit: int = 5000) -> bool:
    seen = 0
    for _root, dirs, files in os.walk(workdir):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        if any((f.startswith("test_") and f.endswith(".py")) or f.endswith("_test.py") for f in files):
            return True
        seen += len(files)
        if seen > limit:
            return False
    return False


def minimal_env(*layers: Mapping[str, str]) -> dict[str, str]:
    """PATH (Overseer's bin dir first), HOME, locale and temp dir from this process, then each of ``layers`` over it."""
    env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for layer in layers:
        env.update(layer)
    return env


def pytest_args(command: str) -> tuple[str, list[str]] | None:
    """(python, arguments after ``pytest``) when ``command`` is a plain pytest call (``pytest ...`` or ``PY -m pytest ...``)."""
    try:
        tokens = shlex.split(command)
    except ValueError:
        return None
    if not tokens or any(t in {"&&", "||", "|", ";", "&"} or t.endswith(";") for t in tokens) or "=" in tokens[0]:
        return None
    if os.path.basename(tokens[0]) == "pytest":
        return sys.executable, tokens[1:]
    if len(tokens) >= 3 and tokens[1:3] == ["-m", "pytest"] and os.path.basename(tokens[0]).startswith("python"):
        return tokens[0], tokens[3:]
    return None


def parse_summary(output: str) -> dict[str, int]:
    """pytest's final counts (``{"passed": 3, "failed": 1}``), from the last line that ends ``in 0.12s``."""
    for line in reversed(output.splitlines()):
        if _SUMMARY_TIME.search(line):
            counts: dict[str, int] = {}
            for n, word in _COUNT.findall(line):
                key = "errors" if word.startswith("error") else word
                counts[key] = counts.get(key, 0) + int(n)
            return counts
    return {}


def parse_failures(output: str) -> list[tuple[str, str | None, int | None, str]]:
    """(test id, file, line, message) for each ``FAILED``/``ERROR`` line of pytest's short summary."""
    wheres: dict[str, int] = {}
    found: list[tuple[str, str | None, int | None, str]] = []
    for line in output.splitlines():
        if (where := _WHERE.match(line)) is not None:
            wheres[where.group(1)] = int(where.group(2))
        elif (failed := _FAILED.match(line)) is not None:
            kind, test, message = failed.groups()
            file = test.split("::", 1)[0] if ".py" in test else None
            label = f"{test} failed" if kind == "FAILED" else f"error in {test}"
            found.append((test, file, wheres.get(file or ""), f"{label}: {message}" if message else label))
    return found


class TestsStage:
    __test__ = False  # not a pytest test class
    name = "tests"

    def __init__(self, config: TestsConfig | None = None) -> None:
        self.config = config or TestsConfig()

    def retest(self, workdir: Path, env: Mapping[str, str] | None = None) -> StageResult:
        """The tests on any tree (a merge before landing): only the workdir and the env matter to this stage."""
        return self.run(CheckContext(workdir=workdir, base_commit="HEAD", head_commit="HEAD", env=dict(env or {})))

    def run(self, ctx: CheckContext) -> StageResult:
        started = time.monotonic()
        command = self.config.command or detect_command(ctx.workdir)
        if command is None:
            return StageResult(self.name, StageStatus.SKIPPED, detail="no test command configured or detected")
        env = minimal_env(self.config.env, ctx.env)
        pytest = pytest_args(command)
        with tempfile.TemporaryDirectory(prefix="overseer-tests-") as tmp:
            argv: list[str] | str = command
            measuring = self.config.coverage_floor is not None or self.config.coverage
            if measuring:
                covered = self._covered(command, pytest, Path(tmp), ctx.workdir, env)
                if isinstance(covered, str) and self.config.coverage_floor is not None:
                    return StageResult(self.name, StageStatus.ERROR, detail=covered, duration_s=time.monotonic() - started)
                argv = covered if isinstance(covered, list) else command  # only measured "when available"
            try:
                done = run(argv, ctx.workdir, timeout=self.config.timeout_seconds, env=env)
            except ToolError as err:
                return StageResult(self.name, StageStatus.ERROR, detail=str(err), duration_s=time.monotonic() - started)
            covering = measuring and not done.timed_out
            percent = self._percent(pytest, Path(tmp), ctx.workdir, env) if covering else None
        result = self._judge(command, done, pytest is not None)
        return self._with_coverage(result, percent, time.monotonic() - started, pytest)

    def _covered(self, command: str, pytest: tuple[str, list[str]] | None, tmp: Path, workdir: Path,
                 env: dict[str, str]) -> list[str] | str:
        """The command under coverage, or why it cannot be."""
        if pytest is None:
            return (f"coverage_floor is set but `{command}` is not a plain pytest command: set verify.tests.command to "
                    "`pytest ...` or `python -m pytest ...`, or drop verify.tests.coverage_floor")
        python, args = pytest
        try:
            probe = run([python, "-c", "import coverage"], workdir, timeout=60, env=env)
        except ToolError as err:
            return str(err)
        if probe.exit_code != 0:
            return f"coverage_floor is set but coverage is not installed for {python}: {python} -m pip install coverage"
        return [python, "-m", "coverage", "run", f"--data-file={tmp / '.coverage'}", "-m", "pytest", *args]

    def _percent(self, pytest: tuple[str, list[str]] | None, tmp: Path, workdir: Path, env: dict[str, str]) -> float | None:
        if pytest is None or not (tmp / ".coverage").exists():
            return None
        report = tmp / "coverage.json"
        try:
            run([pytest[0], "-m", "coverage", "json", "-q", f"--data-file={tmp / '.coverage'}", "-o", str(report), "--fail-under=0"],
                workdir, timeout=120, env=env)
            return float(json.loads(report.read_text(encoding="utf-8"))["totals"]["percent_covered"])
        except (ToolError, OSError, ValueError, KeyError, TypeError):
            return None

    def _judge(self, command: str, done: Completed, is_pytest: bool) -> StageResult:
        counts = parse_summary(done.output) if is_pytest else {}
        metrics = _metrics(counts)
        last = " | ".join(done.tail(3).splitlines())
        if done.timed_out:
            message = f"killed after {self.config.timeout_seconds:g}s"
            return StageResult(self.name, StageStatus.TIMEOUT, (self._finding("TEST_TIMEOUT", message, remediation=(
                "find the test that hangs (an endless loop, a wait on a network or a prompt) and fix it")),),
                detail=f"`{command}` {message}; last output: {last or 'none'}", metrics=metrics)
        if done.exit_code in (126, 127):
            return StageResult(self.name, StageStatus.ERROR, detail=f"`{command}` cannot run (exit {done.exit_code}): {last}")
        if done.exit_code == 0:
            return StageResult(self.name, StageStatus.PASSED, detail=_said(counts, last), metrics=metrics)
        if is_pytest and done.exit_code == 5:
            nothing = self._finding("TEST_FAILURE", "no tests ran: pytest collected nothing",
                                    remediation="add tests for the change, or fix how they are collected")
            return StageResult(self.name, StageStatus.FAILED, (nothing,), detail="no tests ran", metrics=metrics)
        failures = parse_failures(done.output) if is_pytest else []
        findings = tuple(self._finding("TEST_FAILURE", message, file=file, line=line, remediation=_REMEDIATION)
                         for _, file, line, message in failures)
        if not findings:
            findings = (self._finding("TEST_FAILURE", f"`{command}` exited {done.exit_code}: {last or 'no output'}",
                                      remediation=_REMEDIATION),)
        return StageResult(self.name, StageStatus.FAILED, findings, detail=f"exit {done.exit_code}: {_said(counts, last)}", metrics=metrics)

    def _with_coverage(self, result: StageResult, percent: float | None, duration: float,
                       pytest: tuple[str, list[str]] | None) -> StageResult:
        floor = self.config.coverage_floor
        metrics, findings, status = dict(result.metrics), list(result.findings), result.status
        tools = {"pytest": _version("pytest")} if pytest is not None and pytest[0] == sys.executable else {}
        detail = result.detail
        if floor is None and percent is not None:  # measured without a floor: a figure, never a finding
            metrics["coverage"] = round(percent, 2)
            detail += f"; coverage {percent:.1f}%"
        if floor is not None and status in (StageStatus.PASSED, StageStatus.FAILED):
            if percent is None:
                findings.append(self._finding("COVERAGE", "no coverage data was collected", remediation="check the test command"))
                status = StageStatus.FAILED
            else:
                metrics["coverage"] = round(percent, 2)
                detail += f"; coverage {percent:.1f}% (floor {floor:g}%)"
                if percent < floor:
                    findings.append(self._finding("COVERAGE", f"coverage {percent:.1f}% is under the floor {floor:g}%",
                                                  remediation="add tests for the lines the change left uncovered"))
                    status = StageStatus.FAILED
            if pytest is not None and pytest[0] == sys.executable:
                tools["coverage"] = _version("coverage")
        return StageResult(self.name, status, tuple(findings), duration_s=duration, detail=detail, tools=tools, metrics=metrics)

    def _finding(self, kind: str, message: str, *, file: str | None = None, line: int | None = None,
                 remediation: str | None = None) -> Finding:
        return Finding(self.name, Severity.HIGH, kind, message, file=file, line=line, remediation=remediation)


def _metrics(counts: dict[str, int]) -> dict[str, float]:
    passed, failed = counts.get("passed", 0), counts.get("failed", 0) + counts.get("errors", 0)
    if passed + failed == 0:
        return {}
    return {"test_pass_rate": round(passed / (passed + failed), 4), "tests_passed": float(passed), "tests_failed": float(failed)}


def _said(counts: dict[str, int], last: str) -> str:
    if counts:
        return ", ".join(f"{n} {k}" for k, n in counts.items())
    return last or "no output"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
