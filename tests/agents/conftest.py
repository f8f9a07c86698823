"""Fixtures for the harness adapters: recorded real output, a run spec, and a scratch git repo with a home.

``recorded(name)`` parses ``recordings/NAME.*`` (real output of the pinned CLIs, see ``record.py``) with the
harness's own parser on ``frozen_clock`` and returns every event, ``finish`` included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from overseer.agents.registry import get_harness
from overseer.domain.runs import AgentEvent
from overseer.ports import RunSpec, StreamParser
from tests.agents.live import make_repo, scratch_home

RECORDINGS = Path(__file__).resolve().parent / "recordings"
NOW = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock() -> Callable[[], datetime]:
    """A clock for parsers: a rate limit's reset time is this instant plus what the harness said."""
    return lambda: NOW


def parse_lines(parser: StreamParser, lines: list[str], exit_code: int | None) -> list[AgentEvent]:
    return [event for line in lines for event in parser.feed(line)] + parser.finish(exit_code)


@pytest.fixture
def recorded(frozen_clock: Callable[[], datetime]) -> Callable[[str], list[AgentEvent]]:
    index = json.loads((RECORDINGS / "index.json").read_text())

    def parse(name: str) -> list[AgentEvent]:
        entry = index[name]
        parser = get_harness(entry["harness"]).parser()
        parser.clock = frozen_clock  # type: ignore[attr-defined]
        lines = (RECORDINGS / entry["file"]).read_text(encoding="utf-8").splitlines()
        return parse_lines(parser, lines, entry["exit_code"])

    return parse


@pytest.fixture
def spec(tmp_path: Path) -> RunSpec:
    return RunSpec(
        run_id="run-7",
        prompt="Fix the bug",
        workdir=tmp_path / "work",
        home=tmp_path / "home",
        model="some-model",
        args=("--extra", "1"),
        max_turns=12,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def home() -> Iterator[Path]:
    with scratch_home() as path:
        yield path
