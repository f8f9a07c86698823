"""Garbage collection of run worktrees: by age, by disk use, strays; active runs are never touched."""

from __future__ import annotations

import os
import time
from pathlib import Path

from overseer.runtime.worktree import Worktree, Worktrees
from tests.runtime.helpers import run_git

DAY = 86_400.0


def age(wt: Worktree, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(wt.path, (stamp, stamp))


def fill(wt: Worktree, n_bytes: int) -> None:
    (wt.path / "blob.bin").write_bytes(os.urandom(n_bytes))


def registered(worktrees: Worktrees) -> list[str]:
    lines = run_git(worktrees.repo, "worktree", "list", "--porcelain").splitlines()
    return sorted(Path(line.split(" ", 1)[1]).name for line in lines[1:] if line.startswith("worktree "))


def test_old_inactive_worktrees_and_stray_folders_are_removed_and_active_ones_kept(worktrees: Worktrees) -> None:
    old, old_active, young = (worktrees.create(name, "main") for name in ("old", "old-active", "young"))
    age(old, 5)
    age(old_active, 5)
    stray = worktrees.root / "stray"
    (stray / "node_modules").mkdir(parents=True)
    removed = worktrees.gc({"old-active"}, max_age_seconds=3 * DAY, disk_cap_bytes=10**12)
    assert sorted(p.name for p in removed) == ["old", "stray"]
    assert not old.path.exists() and not stray.exists() and old_active.path.exists() and young.path.exists()
    assert registered(worktrees) == ["old-active", "young"]
    assert "overseer/run/old" in run_git(worktrees.repo, "branch", "--list", "overseer/*")


def test_over_the_disk_cap_the_oldest_inactive_worktrees_go_first(worktrees: Worktrees) -> None:
    oldest_active, older, newer = (worktrees.create(name, "main") for name in ("a-active", "b-older", "c-newer"))
    for wt, days in ((oldest_active, 2), (older, 1), (newer, 0.5)):
        fill(wt, 400_000)
        age(wt, days)
    removed = worktrees.gc({"a-active"}, max_age_seconds=30 * DAY, disk_cap_bytes=1_000_000)
    assert [p.name for p in removed] == ["b-older"]
    assert registered(worktrees) == ["a-active", "c-newer"]


def test_active_worktrees_stay_even_when_they_alone_pass_the_cap(worktrees: Worktrees) -> None:
    big = worktrees.create("big", "main")
    fill(big, 300_000)
    age(big, 10)
    assert worktrees.gc({str(big.path)}, max_age_seconds=DAY, disk_cap_bytes=1_000) == []
    assert big.path.exists()


def test_gc_without_a_worktree_folder_does_nothing(worktrees: Worktrees) -> None:
    assert worktrees.gc(set(), max_age_seconds=1, disk_cap_bytes=1) == []
