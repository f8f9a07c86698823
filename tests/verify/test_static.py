from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from overseer.config.verify import StaticConfig
from overseer.domain.verification import Severity, StageStatus
from overseer.verify import static
from overseer.verify.static import StaticStage, is_shell_script
from tests.verify.conftest import Repo

UNDEFINED = "def total(xs: list[int]) -> int:\n    return sum(xs) + offset\n"


def test_an_undefined_name_is_a_high_ruff_finding_that_fails_the_stage(repo: Repo) -> None:
    result = StaticStage().run(repo.change({"stats.py": UNDEFINED}))
    assert result.status == StageStatus.FAILED
    ruff = [f for f in result.findings if f.rule == "F821"]
    assert [(f.severity, f.type, f.file, f.line) for f in ruff] == [(Severity.HIGH, "LINT", "stats.py", 2)]
    assert "offset" in ruff[0].message
    assert result.tools["ruff"][0].isdigit() and "bandit" in result.tools


def test_a_syntax_error_is_high(repo: Repo) -> None:
    result = StaticStage(StaticConfig(bandit=False)).run(repo.change({"broken.py": "def f(:\n"}))
    assert result.status == StageStatus.FAILED
    assert result.findings[0].rule == "invalid-syntax" and result.findings[0].severity == Severity.HIGH


def test_a_style_finding_the_project_s_ruff_config_selects_is_medium_and_does_not_fail(repo: Repo) -> None:
    result = StaticStage().run(repo.change({"style.py": "def f(x: object) -> bool:\n    return x == None\n"}))
    assert result.status == StageStatus.PASSED
    assert [(f.rule, f.severity) for f in result.findings] == [("E711", Severity.MEDIUM)]


def test_only_changed_files_are_checked(repo: Repo) -> None:
    repo.commit({"old.py": UNDEFINED})
    result = StaticStage().run(repo.change({"calc.py": (repo.path / "calc.py").read_text() + "\nZERO = 0\n"}))
    assert result.status == StageStatus.PASSED and result.findings == ()
    assert "ruff: 0 finding(s) in 1 file(s)" in result.detail


def test_a_shell_injection_is_a_high_bandit_security_finding(repo: Repo) -> None:
    code = "import subprocess\n\n\ndef run(cmd: str) -> int:\n    return subprocess.call(cmd, shell=True)\n"
    result = StaticStage(StaticConfig(ruff=False)).run(repo.change({"runner.py": code}))
    assert result.status == StageStatus.FAILED
    high = [(f.rule, f.type, f.file, f.line) for f in result.findings if f.severity == Severity.HIGH]
    assert high == [("B602", "SECURITY", "runner.py", 5)]
    assert "ruff" not in result.tools


def test_a_shellcheck_error_fails_the_stage(repo: Repo) -> None:
    result = StaticStage().run(repo.change({"deploy.sh": "#!/bin/sh\nif [ \"$1\" = x ]\necho yes\n"}))
    assert result.status == StageStatus.FAILED
    errors = [f for f in result.findings if f.severity == Severity.HIGH]
    assert errors and all(f.file == "deploy.sh" and f.rule and f.rule.startswith("SC") for f in errors)
    assert "shellcheck" in result.tools


def test_shellcheck_warnings_are_medium_and_notes_low_and_neither_fails(repo: Repo) -> None:
    result = StaticStage().run(repo.change({"bin/tool": "#!/usr/bin/env bash\ncd \"$1\"\nrm -rf $1/cache\n"}))
    assert result.status == StageStatus.PASSED
    assert {(f.rule, f.severity, f.file) for f in result.findings} == {("SC2164", Severity.MEDIUM, "bin/tool"),
                                                                       ("SC2086", Severity.LOW, "bin/tool")}


def test_scripts_are_recognised_by_extension_or_shebang(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("#!/usr/bin/env -S bash -e\necho\n")
    (tmp_path / "b").write_text("#!/usr/bin/python3\nprint()\n")
    (tmp_path / "c").write_text("#!/bin/dash\n")
    assert [is_shell_script(tmp_path, n) for n in ("a", "b", "c", "x.sh", "missing")] == [True, False, True, True, False]


def test_nothing_to_check_is_skipped(repo: Repo) -> None:
    result = StaticStage().run(repo.change({"README.md": "# calc\n"}))
    assert result.status == StageStatus.SKIPPED and "no Python or shell files changed" in result.detail


def test_a_tool_turned_off_does_not_run(repo: Repo) -> None:
    result = StaticStage(StaticConfig(ruff=False, bandit=False)).run(repo.change({"stats.py": UNDEFINED}))
    assert result.status == StageStatus.SKIPPED and result.findings == () and result.tools == {}


def test_a_required_tool_that_is_missing_is_an_error_naming_what_to_install(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static, "find_tool", lambda name: None)  # a machine without the tools
    ctx = repo.change({"stats.py": UNDEFINED})
    assert StaticStage().run(ctx).status == StageStatus.SKIPPED
    result = StaticStage(StaticConfig(ruff=True)).run(ctx)
    assert result.status == StageStatus.ERROR
    assert "ruff is required (verify.static.ruff: true) but not installed: pip install ruff" in result.detail


def test_a_tool_that_prints_garbage_makes_the_stage_an_error(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "ruff"
    broken.write_text(f"#!{sys.executable}\nimport sys\nprint('Segmentation fault' if '--version' not in sys.argv else 'ruff 9.9')\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(static, "find_tool", lambda name: str(broken) if name == "ruff" else None)
    result = StaticStage().run(repo.change({"stats.py": UNDEFINED}))
    assert result.status == StageStatus.ERROR
    assert "ruff broke on 1 file(s): output is not JSON" in result.detail and "Segmentation fault" in result.detail


def test_a_tool_that_exits_oddly_makes_the_stage_an_error(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "shellcheck"
    broken.write_text("#!/bin/sh\necho 'internal error: out of cheese' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(static, "find_tool", lambda name: str(broken) if name == "shellcheck" else None)
    result = StaticStage().run(repo.change({"go.sh": "echo hi\n"}))
    assert result.status == StageStatus.ERROR
    assert "shellcheck broke on 1 file(s): exit 3: internal error: out of cheese" in result.detail


def test_bandit_asserts_in_test_files_are_how_pytest_works_and_are_not_findings() -> None:
    from overseer.verify.static import is_test_file

    assert is_test_file("tests/test_calc.py") and is_test_file("pkg/tests/helpers.py") and is_test_file("conftest.py")
    assert is_test_file("calc_test.py") and not is_test_file("calc.py") and not is_test_file("src/testing.py")
