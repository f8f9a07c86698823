"""Each real harness end to end: the adapter builds the invocation, the pinned CLI from ``.tools`` runs it in a
scratch git repo against the scripted model server (stdin closed, a minimal environment, a dummy key), and the
adapter's parser reads what it printed.

A test skips, loudly, only when the binary is missing from ``.tools``; anything else that goes wrong fails it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from overseer.agents.registry import BUILTIN, get_harness, harness_version
from overseer.domain.runs import ErrorEvent, RateLimit, Result, Started, ToolUse
from overseer.modelserver import HttpError
from tests.agents.live import CONTENT, INSTALL, TOOLS, Outcome, Scenario, binary_of, failing, mini_script, run_scenario

PINNED = {"claude-code": "2.1.197", "codex": "0.171.0", "gemini": "0.61.0", "opencode": "1.18.33", "aider": "0.86.2"}


def installed(name: str) -> Path:
    harness = get_harness(name, {"command": ["python"]} if name == "command" else None)
    binary = binary_of(harness)
    if binary is None:
        pytest.skip(
            f"HARNESS NOT INSTALLED: {harness.binary!r} is missing from {TOOLS}, so the live test of {name} did not run. "
            f"Install the pinned harnesses with {INSTALL}"
        )
    return binary


def run(scenario: Scenario, repo: Path, home: Path, tmp_path: Path) -> Outcome:
    return run_scenario(scenario, repo, home, tmp_path, installed(scenario.harness))


# aider keeps its repo-map cache in the repository root and has no option to move it; Overseer must ignore it
LEFT_BEHIND = {"aider": {".aider.tags.cache.v4/cache.db"}}


def changed_paths(repo: Path) -> set[str]:
    """Paths git sees as new or changed, staged or not (aider stages the files it creates)."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True, text=True, check=True)
    return {line[3:] for line in status.stdout.splitlines()}


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_each_harness_writes_the_scripted_file_and_its_events_end_in_a_successful_result(
    name: str, repo: Path, home: Path, tmp_path: Path
) -> None:
    scenario = Scenario(name, mini_script) if name == "mini-swe-agent" else Scenario(name)
    outcome = run(scenario, repo, home, tmp_path)
    assert (repo / "hello.txt").read_text() == CONTENT, outcome.explain()
    assert changed_paths(repo) - LEFT_BEHIND.get(name, set()) == {"hello.txt"}, "the harness left other files in the worktree"
    last = outcome.events[-1]
    assert isinstance(last, Result) and last.success, outcome.explain()
    assert sum(isinstance(e, Result) for e in outcome.events) == 1
    assert any(isinstance(e, ToolUse) for e in outcome.events) or name == "command"
    assert any(isinstance(e, Started) for e in outcome.events) or name == "command"
    assert outcome.server.requests, "the harness never called the scripted model"


def test_claude_code_stops_at_the_first_429_and_reports_a_rate_limit(repo: Path, home: Path, tmp_path: Path) -> None:
    outcome = run(Scenario("claude-code", failing(HttpError.rate_limited(reset_in=30))), repo, home, tmp_path)
    assert [r.status for r in outcome.server.requests_to("/v1/messages")] == [429]  # CLAUDE_CODE_MAX_RETRIES=0
    assert any(isinstance(e, RateLimit) and e.status == 429 for e in outcome.events)
    started, last = outcome.events[0], outcome.events[-1]
    assert isinstance(started, Started) and isinstance(last, Result)
    assert last == Result(False, last.text, turns=1, session_id=started.session_id, tokens_in=0, tokens_out=0, cost_usd=0.0)
    assert "scripted rate limit" in last.text
    assert outcome.returncode == 1


def test_codex_does_not_retry_a_500_and_fails_its_result(repo: Path, home: Path, tmp_path: Path) -> None:
    outcome = run(Scenario("codex", failing(HttpError.server_error())), repo, home, tmp_path)
    assert [r.status for r in outcome.server.requests_to("/v1/responses")] == [500]  # request_max_retries = 0 in config.toml
    last = outcome.events[-1]
    assert isinstance(last, Result) and not last.success
    assert not (repo / "hello.txt").exists()


def test_gemini_makes_one_attempt_on_a_429_and_reports_when_to_come_back(repo: Path, home: Path, tmp_path: Path) -> None:
    outcome = run(Scenario("gemini", failing(HttpError.rate_limited(reset_in=30))), repo, home, tmp_path)
    assert [r.status for r in outcome.server.requests_to("/v1beta/models/")] == [429]  # general.maxAttempts = 1
    limit = next(e for e in outcome.events if isinstance(e, RateLimit))
    assert limit.reset_at is not None
    last = outcome.events[-1]
    assert isinstance(last, Result) and not last.success


def test_mini_swe_agent_ends_with_an_error_when_the_model_keeps_failing(repo: Path, home: Path, tmp_path: Path) -> None:
    outcome = run(Scenario("mini-swe-agent", failing(HttpError.server_error())), repo, home, tmp_path)
    assert [r.status for r in outcome.server.requests] == [500]  # no retries by mini nor by the OpenAI client under it
    assert outcome.returncode == 1
    assert any(isinstance(e, ErrorEvent) for e in outcome.events)
    last = outcome.events[-1]
    assert isinstance(last, Result) and not last.success and "scripted server error" in last.text


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_installed_harness_is_the_pinned_version(name: str) -> None:
    version = harness_version(installed(name))
    assert version is not None and PINNED[name] in version
