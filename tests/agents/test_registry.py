"""Choosing a harness by name: built-ins, outside harnesses through the ``overseer.harnesses`` entry points,
and finding and asking a binary for its version."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from overseer.agents.registry import BUILTIN, ENTRY_POINT_GROUP, find_binary, get_harness, harness_version, known_harnesses
from overseer.domain import ValidationError
from overseer.ports import Harness

EXPECTED = {
    "claude-code": ("claude", ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")),
    "codex": ("codex", ("OPENAI_API_KEY",)),
    "aider": ("aider", ("OPENAI_API_KEY",)),
    "opencode": ("opencode", ("OPENAI_API_KEY",)),
    "gemini": ("gemini", ("GEMINI_API_KEY",)),
    "mini-swe-agent": ("mini", ("OPENAI_API_KEY",)),
    "command": ("my-agent", ()),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_builtin_name_gives_a_harness_with_its_binary_and_credentials(name: str) -> None:
    harness = get_harness(name, profile_options={"command": ["my-agent"]} if name == "command" else None)
    assert isinstance(harness, Harness)
    assert (harness.name, harness.binary, harness.credential_env) == (name, *EXPECTED[name])


def test_each_call_gives_a_fresh_parser() -> None:
    harness = get_harness("codex")
    assert harness.parser() is not harness.parser()


def test_the_profile_options_choose_the_credential_of_openai_style_harnesses() -> None:
    for name in ("codex", "aider", "opencode", "mini-swe-agent"):
        assert get_harness(name, profile_options={"env_key": "DEEPSEEK_API_KEY"}).credential_env == ("DEEPSEEK_API_KEY",)


def test_an_unknown_name_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(ValidationError) as caught:
        get_harness("claud")
    assert caught.value.field == "harness"
    assert str(caught.value) == f"harness: unknown harness 'claud' (known: {', '.join(known_harnesses())})"


def write_plugin(root: Path, name: str, target: str) -> None:
    """An installed distribution on ``root`` whose entry point ``name`` in our group points at ``target``."""
    (root / "outside_harness.py").write_text(
        "from overseer.agents.command import Command\n\nclass Outside(Command):\n    name = 'outside'\n\nNOT_A_CLASS = 3\n"
    )
    info = root / "outside_harness-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: outside-harness\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {target}\n")


def test_an_outside_harness_is_found_through_its_entry_point_and_built_with_the_profile_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path, "outside", "outside_harness:Outside")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert known_harnesses()["outside"] == "outside_harness:Outside"
    harness = get_harness("outside", profile_options={"command": ["outside-agent", "{prompt}"]})
    assert (harness.name, harness.binary) == ("outside", "outside-agent")


def test_an_entry_point_cannot_take_a_builtin_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(tmp_path, "codex", "outside_harness:Outside")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert known_harnesses()["codex"] == BUILTIN["codex"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("outside_harness:Missing", "cannot be loaded"),
        ("no_such_module:X", "cannot be loaded"),
        ("outside_harness:NOT_A_CLASS", "not a class"),
    ],
)
def test_a_broken_entry_point_is_refused_saying_where_it_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, reason: str
) -> None:
    write_plugin(tmp_path, "broken", target)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValidationError, match=f"harness 'broken' points at {target}, which .*{reason}"):
        get_harness("broken")


def executable(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_find_binary_prefers_the_extra_dirs_over_path_and_skips_files_that_are_not_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = executable(tmp_path / "path" / "codex", "exit 0")
    pinned = executable(tmp_path / "tools" / "codex", "exit 0")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "codex").write_text("not executable")
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}/usr/bin")
    harness = get_harness("codex")
    assert find_binary(harness) == on_path
    assert find_binary(harness, [tmp_path / "plain", tmp_path / "tools"]) == pinned
    assert find_binary("gemini-does-not-exist", [tmp_path / "tools"]) is None


def test_find_binary_checks_a_binary_given_as_a_path_as_it_stands(tmp_path: Path) -> None:
    agent = executable(tmp_path / "bin" / "agent", "exit 0")
    assert find_binary(get_harness("command", {"command": [str(agent)]})) == agent
    assert find_binary(str(tmp_path / "bin" / "missing")) is None


def test_harness_version_is_the_first_line_the_binary_prints(tmp_path: Path) -> None:
    assert harness_version(executable(tmp_path / "ok", "echo; echo 'tool 1.2.3'; echo more")) == "tool 1.2.3"


def test_harness_version_is_none_when_the_binary_fails_hangs_or_is_missing(tmp_path: Path) -> None:
    assert harness_version(executable(tmp_path / "fails", "echo 'usage: ...'; exit 2")) is None
    assert harness_version(executable(tmp_path / "hangs", "sleep 30; echo late"), timeout=0.3) is None
    assert harness_version(tmp_path / "missing") is None


@pytest.fixture(autouse=True)
def _fresh_plugin_cache() -> Iterator[None]:
    """Entry points are cached per process; each test here installs its own, so each starts from a fresh look."""
    from overseer.agents import registry

    registry._plugins.cache_clear()
    yield
    registry._plugins.cache_clear()
