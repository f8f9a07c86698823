"""What a codebase is made of, found from its files alone: the tracked paths, languages by extension, how its tests
run, and which conventions its tool configs and docs set. Reads files; runs nothing but ``git ls-files``."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["LANGUAGES", "conventions", "languages", "list_files", "read_text", "test_setups"]

LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".ts": "TypeScript", ".tsx": "TypeScript", ".js": "JavaScript", ".jsx": "JavaScript",
    ".mjs": "JavaScript", ".cjs": "JavaScript", ".go": "Go", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin", ".scala": "Scala",
    ".rb": "Ruby", ".php": "PHP", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++", ".cs": "C#",
    ".swift": "Swift", ".ex": "Elixir", ".exs": "Elixir", ".lua": "Lua", ".dart": "Dart", ".sh": "Shell", ".bash": "Shell",
    ".sql": "SQL", ".html": "HTML", ".css": "CSS", ".scss": "CSS", ".vue": "Vue", ".svelte": "Svelte",
    ".md": "Markdown", ".rst": "reStructuredText", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".json": "JSON",
}
_SKIP_DIRS = frozenset({".git", ".overseer", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache",
                        ".ruff_cache", ".pytest_cache", "dist", "build", "target", ".tools"})
_MAX_READ = 200_000  # characters of one file ever read


def list_files(root: Path) -> list[str]:
    """Paths relative to ``root``: git's tracked and untracked-but-not-ignored files, else a walk skipping build folders."""
    try:
        done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                              capture_output=True, check=True, timeout=60)
        found = [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]
        return sorted(p for p in found if not any(part in _SKIP_DIRS for part in p.split("/")[:-1]) and (root / p).is_file())
    except (OSError, subprocess.SubprocessError):
        pass
    out = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and not any(part in _SKIP_DIRS for part in rel.parts[:-1]):
            out.append(rel.as_posix())
    return sorted(out)


def read_text(path: Path, limit: int = _MAX_READ) -> str | None:
    """The start of a text file (None for a binary or unreadable one)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit)
    except OSError:
        return None
    if b"\0" in raw[:4096]:
        return None
    return raw.decode("utf-8", "replace")


def languages(files: list[str]) -> dict[str, int]:
    """Files per language, most first (extensions Overseer does not know are left out)."""
    counts = Counter(LANGUAGES[ext] for f in files if (ext := Path(f).suffix.lower()) in LANGUAGES)
    return dict(counts.most_common())


def _toml(root: Path, name: str) -> dict[str, Any]:
    text = read_text(root / name)
    try:
        return tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return {}


def _package_json(root: Path) -> dict[str, Any]:
    text = read_text(root / "package.json")
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def test_setups(root: Path, files: list[str], configured: str | None = None) -> list[str]:
    """How the project's tests run, each as "tool: how it was found"."""
    found: list[str] = []
    if configured:
        found.append(f"{configured} (verify.tests.command in overseer.yaml)")
    names = set(files)
    base = {Path(f).name for f in files}
    tool = _toml(root, "pyproject.toml").get("tool", {})
    pytest_from = ("pyproject.toml [tool.pytest.ini_options]" if "pytest" in tool else
                   "pytest.ini" if "pytest.ini" in names else
                   "setup.cfg [tool:pytest]" if "[tool:pytest]" in (read_text(root / "setup.cfg") or "") else
                   "tox.ini [pytest]" if "[pytest]" in (read_text(root / "tox.ini") or "") else
                   "conftest.py" if "conftest.py" in base else
                   "test_*.py files" if any(re.match(r"test_.*\.py$|.*_test\.py$", b) for b in base) else None)
    if pytest_from:
        found.append(f"pytest ({pytest_from})")
    scripts = _package_json(root).get("scripts") or {}
    if isinstance(scripts, dict) and isinstance(scripts.get("test"), str):
        found.append(f"npm test: {scripts['test']} (package.json scripts.test)")
    if "go.mod" in names and any(f.endswith("_test.go") for f in files):
        found.append("go test ./... (go.mod and *_test.go files)")
    if "Cargo.toml" in names:
        found.append("cargo test (Cargo.toml)")
    if "Makefile" in names and re.search(r"^test\s*:", read_text(root / "Makefile") or "", re.M):
        found.append("make test (Makefile target)")
    return found


_CONFIG_FILES = {
    "ruff.toml": "ruff", ".ruff.toml": "ruff", "mypy.ini": "mypy", ".flake8": "flake8", ".pylintrc": "pylint",
    ".editorconfig": "editorconfig", ".pre-commit-config.yaml": "pre-commit", ".prettierrc": "prettier",
    ".prettierrc.json": "prettier", "tsconfig.json": "TypeScript (tsconfig.json)", ".golangci.yml": "golangci-lint",
    ".golangci.yaml": "golangci-lint", "rustfmt.toml": "rustfmt", "biome.json": "biome",
}
_TOOL_SECTIONS = ("ruff", "mypy", "black", "isort", "pyright", "pylint", "importlinter", "coverage")


def conventions(root: Path, files: list[str]) -> list[str]:
    """Linters, formatters and type checkers the project configures, each with where it is configured."""
    found: dict[str, str] = {}
    tool = _toml(root, "pyproject.toml").get("tool", {}) if "pyproject.toml" in files else {}
    for section in _TOOL_SECTIONS:
        if section in tool:
            found[section] = f"pyproject.toml [tool.{section}]"
    for f in files:
        base = Path(f).name
        if "/" in f:
            continue
        if base in _CONFIG_FILES:
            found.setdefault(_CONFIG_FILES[base], base)
        elif base.startswith(".eslintrc") or base.startswith("eslint.config."):
            found.setdefault("eslint", base)
    dev = {**(_package_json(root).get("devDependencies") or {})}
    for tool in ("eslint", "prettier", "typescript", "vitest", "jest"):
        if tool in dev:
            found.setdefault(tool, "package.json devDependencies")
    return [f"{tool} ({where})" for tool, where in found.items()]
