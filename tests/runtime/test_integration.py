"""The merge queue with real git: integration branches, one merge commit per landing, conflicts, retests, checked-out
targets, concurrent landings from threads and processes, pushes."""

from __future__ import annotations

import multiprocessing
import subprocess
import threading
from pathlib import Path

import pytest

from overseer.domain.verification import StageResult, StageStatus
from overseer.runtime.integration import GitIntegrator, PushError
from overseer.runtime.worktree import WorktreeError
from tests.runtime.helpers import run_git


@pytest.fixture(autouse=True)
def person(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Tester")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tester@example.com")


@pytest.fixture
def integrator(repo: Path, tmp_path: Path) -> GitIntegrator:
    return GitIntegrator(repo, tmp_path / "scratch")


def branch_with(repo: Path, branch: str, start: str, files: dict[str, str]) -> str:
    """Commit ``files`` on a new ``branch`` from ``start`` without touching the main checkout; the commit."""
    wt = repo.parent / f"wt-{branch.replace('/', '-')}"
    run_git(repo, "worktree", "add", "-q", "-b", branch, str(wt), start)
    for name, text in files.items():
        (wt / name).write_text(text)
    run_git(wt, "add", "-A")
    run_git(wt, "commit", "-q", "-m", f"work on {branch}")
    commit = run_git(wt, "rev-parse", "HEAD")
    run_git(repo, "worktree", "remove", "--force", str(wt))
    return commit


def first_parents(repo: Path, branch: str, since: str) -> list[str]:
    return run_git(repo, "rev-list", "--first-parent", "--reverse", f"{since}..{branch}").splitlines()


def is_ancestor(repo: Path, commit: str, of: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", commit, of], cwd=repo).returncode == 0


def leftover_worktrees(repo: Path) -> list[str]:
    return [line for line in run_git(repo, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ") and "land-" in line]


def passing(status: StageStatus = StageStatus.PASSED) -> StageResult:
    return StageResult(stage="tests", status=status, detail=f"tests {status.value}")


def test_landing_a_run_branch_into_a_fresh_epic_branch_leaves_main_untouched(integrator: GitIntegrator, repo: Path) -> None:
    main = run_git(repo, "rev-parse", "main")
    epic = integrator.ensure_branch("overseer/epic/e1", "main")
    assert epic == main
    run = branch_with(repo, "overseer/run/r1", epic, {"feature.py": "x = 2\n"})
    result = integrator.land("overseer/run/r1", "overseer/epic/e1", base=epic, message="land r1")
    assert result.status == "merged" and result.previous == epic and not result.moved and result.retest is None
    assert result.commit is not None and result.commit == integrator.head("overseer/epic/e1")
    assert run_git(repo, "rev-parse", f"{result.commit}^1", f"{result.commit}^2").splitlines() == [epic, run]
    assert run_git(repo, "log", "-1", "--format=%s", result.commit) == "land r1"
    assert result.detail == f"merged overseer/run/r1 into overseer/epic/e1 at {result.commit[:10]}"
    assert run_git(repo, "rev-parse", "main") == main and not (repo / "feature.py").exists()
    assert run_git(repo, "status", "--porcelain") == ""
    assert leftover_worktrees(repo) == []


def test_two_run_branches_touching_different_files_both_land_one_merge_commit_each_in_order(
        integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    a = branch_with(repo, "run/a", epic, {"a.py": "a = 1\n"})
    b = branch_with(repo, "run/b", epic, {"b.py": "b = 1\n"})
    first = integrator.land("run/a", "epic", base=epic, message="land a")
    second = integrator.land("run/b", "epic", base=epic, message="land b")
    assert (first.status, second.status) == ("merged", "merged")
    assert second.previous == first.commit and second.moved
    assert first_parents(repo, "epic", epic) == [first.commit, second.commit]
    assert [run_git(repo, "rev-parse", f"{c}^2") for c in (first.commit, second.commit)] == [a, b]
    assert sorted(run_git(repo, "ls-tree", "--name-only", "epic").split()) == [".gitignore", "a.py", "app.py", "b.py"]


def test_two_run_branches_editing_the_same_line_make_the_second_a_conflict_naming_the_file(
        integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    branch_with(repo, "run/a", epic, {"app.py": "print('a')\nx = 1\n"})
    branch_with(repo, "run/b", epic, {"app.py": "print('b')\nx = 1\n"})
    first = integrator.land("run/a", "epic", base=epic, message="land a")
    second = integrator.land("run/b", "epic", base=epic, message="land b")
    assert first.status == "merged"
    assert second.status == "conflict" and second.conflicts == ("app.py",) and second.commit is None
    assert "app.py" in second.detail and "run/b" in second.detail
    assert integrator.head("epic") == first.commit
    assert leftover_worktrees(repo) == [] and len(run_git(repo, "worktree", "list").splitlines()) == 1
    assert not any((integrator.scratch).iterdir())


def test_a_moved_target_runs_the_retest_on_the_merge_and_a_failing_retest_leaves_the_target_unchanged(
        integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    branch_with(repo, "run/a", epic, {"a.py": "a = 1\n"})
    branch_with(repo, "run/b", epic, {"b.py": "b = 1\n"})
    moved_to = integrator.land("run/a", "epic", base=epic, message="land a").commit
    seen: list[tuple[str, str, str, list[str]]] = []

    def failing(workdir: Path, target_head: str, merged: str) -> StageResult:
        seen.append((run_git(workdir, "rev-parse", "HEAD"), target_head, merged, sorted(p.name for p in workdir.glob("*.py"))))
        return passing(StageStatus.FAILED)

    result = integrator.land("run/b", "epic", base=epic, message="land b", retest=failing)
    assert result.status == "retest_failed" and result.moved and result.retest == passing(StageStatus.FAILED)
    assert result.commit is None and result.previous == moved_to and "tests failed" in result.detail
    [(tree_head, target_head, merged, files)] = seen
    assert tree_head == merged and target_head == moved_to and files == ["a.py", "app.py", "b.py"]
    assert integrator.head("epic") == moved_to and leftover_worktrees(repo) == []


def test_a_moved_target_whose_retest_passes_lands_and_reports_the_retest(integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    branch_with(repo, "run/a", epic, {"a.py": "a = 1\n"})
    branch_with(repo, "run/b", epic, {"b.py": "b = 1\n"})
    integrator.land("run/a", "epic", base=epic, message="land a")
    result = integrator.land("run/b", "epic", base=epic, message="land b", retest=lambda d, t, m: passing())
    assert result.status == "merged" and result.moved and result.retest == passing()
    assert integrator.head("epic") == result.commit


def test_a_target_that_did_not_move_is_not_retested(integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    branch_with(repo, "run/a", epic, {"a.py": "a = 1\n"})
    calls: list[str] = []

    def retest(workdir: Path, target_head: str, merged: str) -> StageResult:
        calls.append(merged)
        return passing(StageStatus.FAILED)

    result = integrator.land("run/a", "epic", base=epic, message="land a", retest=retest)
    assert result.status == "merged" and not result.moved and result.retest is None and calls == []


def test_a_branch_already_in_the_target_lands_as_already_there_without_a_new_commit(integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    branch_with(repo, "run/a", epic, {"a.py": "a = 1\n"})
    first = integrator.land("run/a", "epic", base=epic, message="land a")
    again = integrator.land("run/a", "epic", base=epic, message="land a")
    assert again.status == "merged" and again.commit == first.commit == again.previous
    assert again.detail == "already in epic"


def test_landing_on_the_checked_out_branch_fast_forwards_the_clean_working_tree(integrator: GitIntegrator, repo: Path) -> None:
    main = run_git(repo, "rev-parse", "main")
    branch_with(repo, "run/a", main, {"app.py": "print('landed')\nx = 1\n", "a.py": "a = 1\n"})
    (repo / "notes.txt").write_text("untracked, kept\n")
    result = integrator.land("run/a", "main", base=main, message="land a")
    assert result.status == "merged" and run_git(repo, "rev-parse", "HEAD") == result.commit
    assert (repo / "app.py").read_text() == "print('landed')\nx = 1\n" and (repo / "a.py").exists()
    assert run_git(repo, "status", "--porcelain") == "?? notes.txt"


def test_landing_on_the_checked_out_branch_refuses_when_the_checkout_has_changes_the_merge_would_overwrite(
        integrator: GitIntegrator, repo: Path) -> None:
    main = run_git(repo, "rev-parse", "main")
    branch_with(repo, "run/a", main, {"app.py": "print('landed')\nx = 1\n"})
    (repo / "app.py").write_text("print('my unsaved work')\n")
    result = integrator.land("run/a", "main", base=main, message="land a")
    assert result.status == "blocked" and result.commit is None and result.previous == main
    assert "checked out in" in result.detail and "app.py" in result.detail and "commit or stash" in result.detail
    assert run_git(repo, "rev-parse", "main") == main
    assert (repo / "app.py").read_text() == "print('my unsaved work')\n"
    assert leftover_worktrees(repo) == []


def test_concurrent_landings_from_four_threads_into_one_target_all_land_serially(integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    runs = {f"run/{i}": branch_with(repo, f"run/{i}", epic, {f"f{i}.py": f"v = {i}\n"}) for i in range(4)}
    start = threading.Barrier(len(runs))
    statuses: dict[str, str] = {}

    def land(branch: str) -> None:
        start.wait()
        statuses[branch] = GitIntegrator(repo, integrator.scratch).land(branch, "epic", base=epic, message=f"land {branch}").status

    threads = [threading.Thread(target=land, args=(b,)) for b in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == dict.fromkeys(runs, "merged")
    final = integrator.head("epic")
    assert final is not None and all(is_ancestor(repo, commit, final) for commit in runs.values())
    assert len(first_parents(repo, "epic", epic)) == 4 and leftover_worktrees(repo) == []


def _land_in_child(repo: str, scratch: str, branch: str, base: str) -> None:
    result = GitIntegrator(Path(repo), Path(scratch)).land(branch, "epic", base=base, message=f"land {branch}")
    if result.status != "merged":
        raise SystemExit(f"{branch}: {result.status}: {result.detail}")


def test_concurrent_landings_from_two_processes_into_one_target_both_land(integrator: GitIntegrator, repo: Path) -> None:
    epic = integrator.ensure_branch("epic", "main")
    runs = [branch_with(repo, f"run/{i}", epic, {f"f{i}.py": f"v = {i}\n"}) for i in range(2)]
    spawn = multiprocessing.get_context("spawn")
    children = [spawn.Process(target=_land_in_child, args=(str(repo), str(integrator.scratch), f"run/{i}", epic)) for i in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0]
    final = integrator.head("epic")
    assert final is not None and all(is_ancestor(repo, commit, final) for commit in runs)
    assert len(first_parents(repo, "epic", epic)) == 2 and leftover_worktrees(repo) == []


def test_ensure_branch_is_idempotent_and_never_moves_an_existing_branch(integrator: GitIntegrator, repo: Path) -> None:
    main = run_git(repo, "rev-parse", "main")
    assert integrator.ensure_branch("epic", "main") == main
    other = branch_with(repo, "other", "main", {"o.py": "o = 1\n"})
    assert integrator.ensure_branch("epic", "other") == main == integrator.head("epic")
    assert integrator.ensure_branch("epic2", other) == other


def test_ensure_branch_from_racing_threads_creates_the_branch_once(integrator: GitIntegrator, repo: Path) -> None:
    start = threading.Barrier(4)
    heads: list[str] = []

    def create() -> None:
        start.wait()
        heads.append(integrator.ensure_branch("epic/race", "main"))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert heads == [run_git(repo, "rev-parse", "main")] * 4


def test_bad_names_missing_branches_and_missing_starts_are_refused_with_what_to_do(integrator: GitIntegrator) -> None:
    with pytest.raises(WorktreeError, match="'bad name' is not a valid branch name"):
        integrator.ensure_branch("bad name", "main")
    with pytest.raises(WorktreeError, match="'nowhere' names no commit"):
        integrator.ensure_branch("epic", "nowhere")
    with pytest.raises(WorktreeError, match="target branch 'missing' does not exist"):
        integrator.land("main", "missing", base=None, message="m")
    assert integrator.head("epic") is None and integrator.head("missing") is None


def test_changed_files_lists_added_modified_and_renamed_paths_but_not_deleted_ones(integrator: GitIntegrator, repo: Path) -> None:
    main = run_git(repo, "rev-parse", "main")
    run_git(repo, "mv", ".gitignore", "ignore.txt")
    (repo / "app.py").unlink()
    (repo / "new.py").write_text("n = 1\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "change")
    assert sorted(integrator.changed_files(main, "HEAD")) == ["ignore.txt", "new.py"]


def test_a_long_diff_is_cut_at_a_line_end_and_marked(integrator: GitIntegrator, repo: Path) -> None:
    main = run_git(repo, "rev-parse", "main")
    head = branch_with(repo, "big", "main", {"big.txt": "".join(f"line {i}\n" for i in range(1000))})
    full = integrator.diff(main, head)
    assert "+line 999" in full and "truncated" not in full
    cut = integrator.diff(main, head, max_chars=300)
    body, marker = cut[:-1].rsplit("\n", 1)
    assert len(body) < 300 and full.startswith(body) and marker.startswith("[diff truncated:")


def test_delete_branch_removes_it_and_ignores_a_missing_one(integrator: GitIntegrator) -> None:
    integrator.ensure_branch("gone", "main")
    integrator.delete_branch("gone")
    integrator.delete_branch("gone")
    assert integrator.head("gone") is None


def test_push_sends_the_branch_to_a_bare_remote_and_a_refusal_says_what_failed(
        integrator: GitIntegrator, repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(repo, "remote", "add", "origin", str(remote))
    epic = integrator.ensure_branch("overseer/epic/e1", "main")
    assert integrator.push("origin", "overseer/epic/e1") == epic
    assert run_git(remote, "rev-parse", "overseer/epic/e1") == epic
    branch_with(repo, "elsewhere", "main", {"e.py": "e = 1\n"})
    run_git(repo, "push", "-q", "--force", "origin", "elsewhere:overseer/epic/e1")  # someone else pushed first
    with pytest.raises(PushError, match=r"(?s)pushing overseer/epic/e1 to origin failed: .*rejected.*non-fast-forward"):
        integrator.push("origin", "overseer/epic/e1")
    with pytest.raises(PushError, match="pushing main to nowhere failed"):
        integrator.push("nowhere", "main")
