"""Worktrees with real git: refusals that change nothing, create, setup, commit, diff stat, remove."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from overseer.config import SetupConfig
from overseer.runtime.worktree import WorktreeError, Worktrees
from tests.runtime.helpers import run_git


def assert_nothing_created(worktrees: Worktrees) -> None:
    assert not worktrees.root.exists()
    assert run_git(worktrees.repo, "branch", "--list", "overseer/*") == ""
    assert len(run_git(worktrees.repo, "worktree", "list").splitlines()) == 1


def test_a_clean_repository_gives_the_checked_out_branch_and_untracked_files_are_fine(worktrees: Worktrees) -> None:
    (worktrees.repo / "notes.txt").write_text("scratch")
    assert worktrees.check_repo(None) == "main"
    run_git(worktrees.repo, "branch", "release")
    assert worktrees.check_repo("release") == "release"


def test_uncommitted_changes_to_tracked_files_are_refused_naming_the_files(worktrees: Worktrees) -> None:
    (worktrees.repo / "app.py").write_text("changed\n")
    (worktrees.repo / ".gitignore").unlink()
    with pytest.raises(WorktreeError, match=r"uncommitted changes.*\.gitignore, app\.py"):
        worktrees.check_repo(None)
    assert_nothing_created(worktrees)


def test_a_detached_head_is_refused_unless_a_base_is_named(worktrees: Worktrees) -> None:
    run_git(worktrees.repo, "checkout", "-q", "--detach")
    with pytest.raises(WorktreeError, match="HEAD is detached"):
        worktrees.check_repo(None)
    assert worktrees.check_repo("main") == "main"
    assert_nothing_created(worktrees)


def test_a_missing_base_branch_is_refused_listing_the_branches(worktrees: Worktrees) -> None:
    run_git(worktrees.repo, "branch", "develop")
    with pytest.raises(WorktreeError, match=r"base branch 'trunk' does not exist; branches: develop, main"):
        worktrees.check_repo("trunk")
    assert_nothing_created(worktrees)


def test_a_folder_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(WorktreeError, match="not a git repository"):
        Worktrees(tmp_path / "plain", tmp_path / "wt").check_repo(None)


def test_a_run_gets_its_own_worktree_and_branch_from_the_base(worktrees: Worktrees) -> None:
    wt = worktrees.create("r1", "main")
    assert wt.branch == "overseer/run/r1" and wt.path == (worktrees.root / "r1").resolve()
    assert wt.base_commit == run_git(worktrees.repo, "rev-parse", "main")
    assert run_git(wt.path, "rev-parse", "--abbrev-ref", "HEAD") == "overseer/run/r1"
    assert (wt.path / "app.py").read_text() == "print('hello')\nx = 1\n"
    with pytest.raises(WorktreeError, match="already exists"):
        worktrees.create("r1", "main")


def test_the_agents_changes_are_committed_as_overseer_and_counted(worktrees: Worktrees) -> None:
    wt = worktrees.create("r2", "main")
    assert worktrees.commit_all(wt, "nothing yet") is None
    (wt.path / "app.py").write_text("print('hello, world')\n")
    (wt.path / "pkg").mkdir()
    (wt.path / "pkg" / "new.py").write_text("a = 1\nb = 2\n")
    (wt.path / "logo.png").write_bytes(b"\x89PNG\x00\x01\x02binary")
    head = worktrees.commit_all(wt, "run r2: add things")
    assert head is not None and head == run_git(wt.path, "rev-parse", "HEAD")
    who = "overseer <overseer@localhost>"
    assert run_git(wt.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s") == f"{who}|{who}|run r2: add things"
    assert run_git(wt.path, "status", "--porcelain") == ""
    assert worktrees.diff_stat(wt) == {"files": 3, "insertions": 3, "deletions": 2}


def test_an_agent_that_committed_itself_gets_no_extra_commit(worktrees: Worktrees) -> None:
    wt = worktrees.create("r3", "main")
    (wt.path / "app.py").write_text("x = 2\n")
    run_git(wt.path, "commit", "-q", "-am", "agent's own commit")
    own = run_git(wt.path, "rev-parse", "HEAD")
    assert worktrees.commit_all(wt, "overseer commit") == own
    assert run_git(wt.path, "rev-list", "--count", f"{wt.base_commit}..HEAD") == "1"


def test_paths_excluded_by_the_caller_are_left_out_of_the_commit(worktrees: Worktrees) -> None:
    wt = worktrees.create("r8", "main")
    (wt.path / ".mcp.json").write_text("{}")
    (wt.path / "feature.py").write_text("y = 1\n")
    head = worktrees.commit_all(wt, "run r8", exclude=[".mcp.json"])
    assert head is not None and run_git(wt.path, "show", "--name-only", "--format=", "HEAD").split() == ["feature.py"]
    assert worktrees.commit_all(wt, "again", exclude=[".mcp.json"]) == head
    assert run_git(wt.path, "status", "--porcelain") == "?? .mcp.json"


def test_removing_a_worktree_deletes_the_folder_and_optionally_the_branch(worktrees: Worktrees) -> None:
    keep, drop = worktrees.create("keep", "main"), worktrees.create("drop", "main")
    (keep.path / "dirty.txt").write_text("uncommitted")
    worktrees.remove(keep, delete_branch=False)
    worktrees.remove(drop, delete_branch=True)
    assert not keep.path.exists() and not drop.path.exists()
    assert run_git(worktrees.repo, "branch", "--list", "overseer/*").split() == ["overseer/run/keep"]
    assert len(run_git(worktrees.repo, "worktree", "list").splitlines()) == 1
    worktrees.remove(drop, delete_branch=True)  # twice is fine


def test_setup_copies_the_env_file_runs_the_command_and_the_copy_is_never_committed(worktrees: Worktrees) -> None:
    (worktrees.repo / ".env").write_text("API_KEY=local\n")
    (worktrees.repo / ".gitignore").write_text(".overseer/\n")  # .env not ignored: the record must keep it out
    run_git(worktrees.repo, "commit", "-q", "-am", "stop ignoring .env")
    wt = worktrees.create("r4", "main")
    config = SetupConfig.model_validate({"copy": [".env", "missing.cfg"], "command": "echo installed > deps.txt"})
    assert worktrees.setup(wt, config) == [".env"]
    assert (wt.path / ".env").read_text() == "API_KEY=local\n" and (wt.path / "deps.txt").read_text() == "installed\n"
    assert worktrees.commit_all(wt, "run r4") is not None
    assert run_git(wt.path, "show", "--name-only", "--format=", "HEAD").split() == ["deps.txt"]


def test_a_failing_setup_command_raises_with_the_tail_of_its_output(worktrees: Worktrees) -> None:
    wt = worktrees.create("r5", "main")
    config = SetupConfig.model_validate({"command": "echo resolving; echo 'npm ERR! missing package' >&2; exit 7"})
    with pytest.raises(WorktreeError, match=r"exited with code 7(.|\n)*npm ERR! missing package"):
        worktrees.setup(wt, config)


def test_a_setup_command_past_its_timeout_is_killed_and_reported(worktrees: Worktrees) -> None:
    wt = worktrees.create("r6", "main")
    config = SetupConfig.model_validate({"command": "echo starting; sleep 30", "timeout_seconds": 0.5})
    with pytest.raises(WorktreeError, match=r"did not finish within 0.5 s(.|\n)*starting"):
        worktrees.setup(wt, config)


def test_a_worktree_folder_that_holds_the_repository_is_refused(repo: Path) -> None:
    with pytest.raises(WorktreeError, match="contains the repository"):
        Worktrees(repo, repo).create("r7", "main")


def test_many_worktrees_created_and_removed_at_once_never_race_on_gits_worktree_list(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from overseer.runtime.worktree import Worktrees

    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "init"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True)
    trees = Worktrees(repo, tmp_path / "wt")
    with ThreadPoolExecutor(max_workers=16) as pool:
        made = list(pool.map(lambda i: trees.create(f"run-{i}", "main"), range(48)))
        assert all(wt.path.is_dir() for wt in made)
        list(pool.map(lambda wt: trees.remove(wt, delete_branch=True), made))
    assert not any((tmp_path / "wt").iterdir())
