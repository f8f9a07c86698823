"""One git worktree per run, on branch ``overseer/run/<run-id>``, under one root folder.

Every git call goes through ``git()``: a fixed identity (``overseer <overseer@localhost>``), no inherited
``GIT_DIR``-style variables, and git's own error text in the ``WorktreeError`` it raises.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from overseer.config import SetupConfig
from overseer.domain.errors import OverseerError

__all__ = ["BRANCH_PREFIX", "IDENTITY", "Worktree", "WorktreeError", "Worktrees", "git"]

BRANCH_PREFIX = "overseer/run/"
IDENTITY = ("overseer", "overseer@localhost")
COPIED_RECORD = "overseer-copied"  # in the worktree's private git dir: files setup copied, never committed
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_GIT_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_PREFIX")


class WorktreeError(OverseerError):
    """A repository, branch or worktree that cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base_commit: str


def git(cwd: Path, *args: str, timeout: float = 120.0) -> str:
    """Run ``git args`` in ``cwd`` as overseer; stdout, or ``WorktreeError`` with git's stderr."""
    name, email = IDENTITY
    env = {k: v for k, v in os.environ.items() if k not in _GIT_VARIABLES}
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_TERMINAL_PROMPT="0", LC_ALL="C")  # messages in English: callers read some of them
    argv = ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false", *args]
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise WorktreeError(f"git {' '.join(args)} could not run in {cwd}: {err}") from None
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip() or "no output")[-2000:]
        raise WorktreeError(f"git {' '.join(args)} failed in {cwd} (exit {proc.returncode}): {detail}")
    return proc.stdout


class Worktrees:
    """The run worktrees of ``repo``, kept in ``root`` (one folder per run id)."""

    def __init__(self, repo: Path, root: Path) -> None:
        self.repo = repo
        self.root = root
        self._lock_path: Path | None = None

    # -- before a run --------------------------------------------------------------------------------

    def check_repo(self, base: str | None = None) -> str:
        """The base branch to start runs from; refuses (changing nothing) a repository runs cannot start in."""
        if not self.repo.is_dir() or not self._succeeds(self.repo, "rev-parse", "--git-dir"):
            raise WorktreeError(f"{self.repo} is not a git repository (run `git init` there, or point --repo at one)")
        if base is None:
            head = self._output(self.repo, "symbolic-ref", "--quiet", "--short", "HEAD")
            if head is None:
                raise WorktreeError(f"HEAD is detached in {self.repo}: check out a branch, or name the base branch "
                                    "(runtime.base_branch in overseer.yaml)")
            base = head
        if not self._succeeds(self.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{base}^{{commit}}"):
            branches = git(self.repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()
            listed = ", ".join(branches) if branches else "none (the repository has no commits yet)"
            raise WorktreeError(f"base branch {base!r} does not exist; branches: {listed}")
        status = git(self.repo, "status", "--porcelain=v1", "-z", "--untracked-files=no")
        dirty = _porcelain_paths(status)
        if dirty:
            shown = ", ".join(dirty[:20]) + (f" and {len(dirty) - 20} more" if len(dirty) > 20 else "")
            raise WorktreeError(f"tracked files have uncommitted changes in {self.repo}: {shown} "
                                "(commit or stash them first: runs start from the last commit; untracked files are fine)")
        return base

    def create(self, run_id: str, base: str) -> Worktree:
        """``git worktree add -b overseer/run/<run_id> <root>/<run_id> <base>``."""
        if not _RUN_ID.match(run_id):
            raise WorktreeError(f"run id {run_id!r} cannot name a folder and branch (letters, digits, '.', '_', '-' only)")
        path = (self.root / run_id).resolve()
        if path.exists():
            raise WorktreeError(f"{path} already exists: another run used id {run_id!r} (remove it or run `overseer gc`)")
        base_commit = git(self.repo, "rev-parse", "--verify", f"{base}^{{commit}}").strip()
        branch = BRANCH_PREFIX + run_id
        self._check_root()
        self.root.mkdir(parents=True, exist_ok=True)
        with self._admin_lock():
            git(self.repo, "worktree", "add", "--quiet", "-b", branch, str(path), base_commit)
        return Worktree(path=path, branch=branch, base_commit=base_commit)

    def setup(self, wt: Worktree, config: SetupConfig, env: Mapping[str, str] | None = None) -> list[str]:
        """Copy ``config.copy_files`` from the repository (those present and not tracked), then run ``config.command``.

        Copied files are recorded so ``commit_all`` never commits them. The command runs in the worktree with
        ``env`` (default: the supervisor's environment); failure or timeout raises with the tail of its output.
        Returns the copied paths.
        """
        copied = [name for name in config.copy_files if self._copy_in(wt, name)]
        if copied:
            record = self._admin_dir(wt) / COPIED_RECORD
            record.write_text("".join(f"{name}\n" for name in copied), encoding="utf-8")
        if config.command:
            _run_setup_command(config.command, wt.path, env if env is not None else os.environ, config.timeout_seconds)
        return copied

    def _copy_in(self, wt: Worktree, name: str) -> bool:
        source = self.repo / name
        target = wt.path / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise WorktreeError(f"runtime.setup.copy: {name!r} must be a path inside the repository")
        if not source.exists() or self._succeeds(wt.path, "ls-files", "--error-unmatch", "--", name):
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        return True

    # -- after a run ---------------------------------------------------------------------------------

    def commit_all(self, wt: Worktree, message: str, exclude: Iterable[str] = ()) -> str | None:
        """Commit whatever the agent left, except the files setup copied and ``exclude`` (paths relative to the worktree).

        Returns the head commit, or None if nothing changed since the base commit.
        """
        record = self._admin_dir(wt) / COPIED_RECORD
        copied = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
        pathspec = [".", *(f":(exclude,literal){name}" for name in [*copied, *exclude])]
        git(wt.path, "add", "-A", "--", *pathspec)  # a no-op when nothing changed
        try:
            git(wt.path, "commit", "--quiet", "--no-verify", "-m", message)
        except WorktreeError as err:  # exit 1 with "nothing to commit" is the normal case of an agent that committed itself
            if "nothing to commit" not in str(err) and "nothing added to commit" not in str(err):
                raise
        head = git(wt.path, "rev-parse", "HEAD").strip()
        return None if head == wt.base_commit else head

    def diff_stat(self, wt: Worktree) -> dict[str, int]:
        """``files``, ``insertions``, ``deletions`` between the base commit and HEAD (a binary file counts as a file)."""
        out = git(wt.path, "diff", "--numstat", "--no-ext-diff", "-M", wt.base_commit, "HEAD")
        stat = {"files": 0, "insertions": 0, "deletions": 0}
        for line in out.splitlines():
            added, deleted, _ = line.split("\t", 2)
            stat["files"] += 1
            stat["insertions"] += int(added) if added.isdigit() else 0
            stat["deletions"] += int(deleted) if deleted.isdigit() else 0
        return stat

    @contextlib.contextmanager
    def _admin_lock(self) -> Iterator[None]:
        """Serialise changes to git's worktree list: concurrent ``git worktree add`` calls race on
        ``.git/worktrees`` ("failed to read …/commondir"). A file lock, so other supervisor processes wait too."""
        if self._lock_path is None:  # asked once: a git process per run adds up
            git_dir = Path(git(self.repo, "rev-parse", "--git-common-dir").strip())
            self._lock_path = (git_dir if git_dir.is_absolute() else self.repo / git_dir) / "overseer-worktrees.lock"
        with open(self._lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def remove(self, wt: Worktree, delete_branch: bool) -> None:
        """Remove the worktree folder (even with changes) and, if asked, its branch. Missing pieces are fine."""
        self._remove_path(wt.path)
        if delete_branch and self._succeeds(self.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{wt.branch}"):
            git(self.repo, "branch", "-D", wt.branch)

    # -- garbage collection --------------------------------------------------------------------------

    def gc(self, active: set[str], max_age_seconds: float, disk_cap_bytes: int) -> list[Path]:
        """Remove inactive worktrees older than ``max_age_seconds``, then the oldest inactive ones until the folders
        under root use at most ``disk_cap_bytes``, and folders git does not know. Branches are kept.

        ``active`` holds run ids (folder names) or paths; those are never removed. Age is the time since the
        folder's modification time. Returns the removed paths.
        """
        if not self.root.is_dir():
            return []
        self._check_root()
        known = self._known_worktrees()
        removed: list[Path] = []
        candidates: list[tuple[float, Path, int]] = []
        total = 0
        now = time.time()
        for path in sorted(p.resolve() for p in self.root.iterdir() if p.is_dir() and not p.is_symlink()):
            if path.name in active or str(path) in active:
                total += _disk_usage(path)
            elif path not in known or now - path.stat().st_mtime > max_age_seconds:
                self._remove_path(path)
                removed.append(path)
            else:
                size = _disk_usage(path)
                total += size
                candidates.append((path.stat().st_mtime, path, size))
        for _, path, size in sorted(candidates):
            if total <= disk_cap_bytes:
                break
            self._remove_path(path)
            removed.append(path)
            total -= size
        with self._admin_lock():
            git(self.repo, "worktree", "prune")
        return removed

    # -- helpers -------------------------------------------------------------------------------------

    def _check_root(self) -> None:
        """Refuse a root that holds the repository itself: gc deletes the folders under root it does not know."""
        root, repo = self.root.resolve(), self.repo.resolve()
        if root == repo or root in repo.parents:
            raise WorktreeError(f"the worktree folder {root} contains the repository {repo}: choose a folder of its own "
                                "(runtime.worktrees, default .overseer/worktrees)")

    def _remove_path(self, path: Path) -> None:
        with self._admin_lock():
            if path in self._known_worktrees():
                with contextlib.suppress(WorktreeError):  # falls through to deleting the folder
                    git(self.repo, "worktree", "remove", "--force", "--force", str(path))
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
            git(self.repo, "worktree", "prune")

    def _known_worktrees(self) -> set[Path]:
        out = git(self.repo, "worktree", "list", "--porcelain")
        return {Path(line[len("worktree "):]).resolve() for line in out.splitlines() if line.startswith("worktree ")}

    def _admin_dir(self, wt: Worktree) -> Path:
        return Path(git(wt.path, "rev-parse", "--absolute-git-dir").strip())

    def _succeeds(self, cwd: Path, *args: str) -> bool:
        return self._output(cwd, *args) is not None

    def _output(self, cwd: Path, *args: str) -> str | None:
        try:
            return git(cwd, *args).strip()
        except WorktreeError:
            return None


def _run_setup_command(command: str, cwd: Path, env: Mapping[str, str], timeout: float) -> None:
    """Run the setup command in its own process group; on timeout the whole group is killed."""
    proc = subprocess.Popen(command, shell=True, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        problem = f"exited with code {proc.returncode}" if proc.returncode else None
    except subprocess.TimeoutExpired:
        _kill_group_now(proc.pid)
        output, _ = proc.communicate()
        problem = f"did not finish within {timeout:g} s (runtime.setup.timeout_seconds)"
    finally:
        _kill_group_now(proc.pid)  # nothing it started outlives it
    if problem:
        tail = output.decode("utf-8", errors="replace")[-2000:].strip() or "(no output)"
        raise WorktreeError(f"setup command {command!r} {problem} in {cwd}; last output:\n{tail}")


def _porcelain_paths(status: str) -> list[str]:
    """The paths of ``git status --porcelain=v1 -z`` output (a rename's source entry has no status: skipped)."""
    entries = iter(status.split("\0"))
    paths: set[str] = set()
    for entry in entries:
        if len(entry) > 3:
            paths.add(entry[3:])
            if entry[0] in "RC":
                next(entries, None)
    return sorted(paths)


def _kill_group_now(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _disk_usage(path: Path) -> int:
    """Bytes on disk under ``path`` (each inode once, symlinks not followed)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += getattr(st, "st_blocks", 0) * 512 or st.st_size
    return total
