from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import overseer

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold_so_layers_point_down_only() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 6 kept, 0 broken." in proc.stdout


def test_the_public_api_is_exactly_what_all_declares() -> None:
    public = {name for name, value in vars(overseer).items() if not name.startswith("_") and not isinstance(value, ModuleType)}
    assert set(overseer.__all__) - {"__version__"} == public


def test_ruff_finds_nothing_in_the_sources_and_tests() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run([str(ruff), "check", "src", "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_finds_no_type_errors_in_the_package() -> None:
    mypy = Path(sys.executable).parent / "mypy"
    proc = subprocess.run([str(mypy), "src/overseer"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
