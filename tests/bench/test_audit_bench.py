"""bench/audit.py at a small size: the history replays from its seed, both sides check the same files, the secret corpus
is scored against the lines it was planted on, and the BENCH line carries every figure."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "audit.py"
FIELDS = ("overhead_ratio", "recall", "recall_detect_secrets", "false_pos", "false_pos_detect_secrets")
BUILT_IN_KINDS = ("aws-access-key-id", "aws-secret-access-key", "github-token", "github-fine-grained-pat", "slack-token", "slack-webhook",
                  "stripe-live-key", "private-key")  # forms every built-in rule is written for: none may be missed


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_audit", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_audit"] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick(bench: Any) -> tuple[Any, Any, list[str]]:
    """One ``--quick`` run (5 commits, 3 samples per kind): its history, its corpus scores and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history, corpus = bench.main(["--quick"])
    return history, corpus, out.getvalue().splitlines()


def test_the_history_is_rebuilt_commit_for_commit_from_its_seed(bench: Any, tmp_path: Path) -> None:
    first = bench.build_history(tmp_path / "a", 4, seed=3)
    assert len(first) == 5
    assert bench.build_history(tmp_path / "b", 4, seed=3) == first
    assert bench.build_history(tmp_path / "c", 4, seed=4) != first
    for parent, sha in itertools.pairwise(first):
        changed = subprocess.run(["git", "diff", "--name-only", parent, sha], cwd=tmp_path / "a", capture_output=True, text=True,
                                 check=True).stdout.split()
        assert changed and all(f.endswith(".py") for f in changed)


def test_every_commit_is_timed_on_both_sides_and_both_report_the_same_findings(quick: tuple[Any, Any, list[str]]) -> None:
    history, _, _ = quick
    assert history.commits == 5 == len(history.overseer) == len(history.tools)
    assert all(s.seconds > 0 for s in [*history.overseer, *history.tools])
    assert not any(s.problems for s in history.overseer)  # no stage said ERROR or TIMEOUT: the tools really ran
    assert sum(s.findings for s in history.overseer) == sum(s.findings for s in history.tools) > 0
    assert {"secrets", "static", "auditor"} <= set(history.parts("overseer"))
    assert {"checkout", "detect-secrets", "ruff", "bandit"} <= set(history.parts("tools"))
    assert math.isfinite(history.ratio) and history.ratio > 0


def test_the_corpus_is_scored_on_the_lines_it_was_planted_on(quick: tuple[Any, Any, list[str]]) -> None:
    _, corpus, _ = quick
    ours, theirs = corpus.overseer, corpus.detect_secrets
    assert set(ours.planted.values()) == {3} and set(ours.negatives.values()) == {3}
    for kind in BUILT_IN_KINDS:
        assert ours.found[kind] == corpus.builtin.found[kind] == 3, kind
    assert all(ours.found[k] >= theirs.found[k] for k in ours.planted)  # Overseer runs detect-secrets too
    assert 0 <= theirs.recall <= ours.recall <= 1
    assert theirs.false_pos <= ours.false_pos


def test_a_hit_anywhere_in_a_key_finds_it_once_and_other_hits_are_false_positives(bench: Any) -> None:
    planted = [bench.Planted("private-key", True, "k.pem", 1, 4), bench.Planted("git-sha", False, "a.py", 3, 3),
               bench.Planted("github-token", True, "a.py", 5, 5)]
    result = bench.score(planted, {("k.pem", 2), ("k.pem", 4), ("a.py", 3), ("a.py", 4)})
    assert result.found == {"private-key": 1, "github-token": 0}
    assert result.recall == 0.5
    assert result.flagged == {"git-sha": 1, "filler": 1} and result.false_pos == 2


def test_no_template_repeats_within_a_corpus_file(bench: Any, tmp_path: Path) -> None:
    planted = bench.write_corpus(tmp_path, bench.make_corpus(5, 12), 5)
    lines = [(p.file, (tmp_path / p.file).read_text().splitlines()[p.first - 1]) for p in planted]
    assert len(set(lines)) == len(lines)  # detect-secrets reports a value once per file: a repeat would skew the count


def test_the_quick_run_ends_with_a_bench_line_naming_every_figure(quick: tuple[Any, Any, list[str]]) -> None:
    _, _, printed = quick
    last = printed[-1]
    assert last.startswith("BENCH audit ")
    figures = dict(pair.split("=", 1) for pair in last.split()[2:])
    assert list(figures)[: len(FIELDS)] == list(FIELDS)
    assert re.fullmatch(r"\d+\.\d\d", figures["overhead_ratio"])
    assert 0 <= float(figures["recall"]) <= 1 and 0 <= float(figures["recall_detect_secrets"]) <= 1
    assert int(figures["false_pos"]) >= 0 and int(figures["false_pos_detect_secrets"]) >= 0
    assert figures["commits"] == "5"
