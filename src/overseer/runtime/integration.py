"""Integration branches and the merge queue: ``GitIntegrator`` lands branches on a target branch, one at a time.

A landing merges (``--no-ff``: one merge commit per landing) in a temporary detached worktree under ``scratch``,
never in the user's checkout. When the target moved since the change's base, ``retest`` runs on the merged tree
first. Then the target moves by compare-and-swap (``git update-ref <target> <merged> <old>``) or, when the target is
checked out in some worktree (the user's main checkout), by ``git merge --ff-only`` there, which git refuses when it
would overwrite local changes. One landing per target at a time: a thread lock plus a file lock under the git common
dir, so other supervisor processes wait too.

``MergeResult.status``: merged | conflict | retest_failed | moved (the target kept moving under the compare-and-swap)
| blocked (the checked-out target has local changes the fast-forward would overwrite; nothing was changed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from overseer.domain.verification import StageResult
from overseer.ports import MergeResult
from overseer.runtime.worktree import WorktreeError, Worktrees, git

__all__ = ["ATTEMPTS", "GitIntegrator", "PushError"]

ATTEMPTS = 3  # landings tried when the target moves under the compare-and-swap
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")  # the scratch worktree runs none of the user's hooks
_LOCKS: dict[str, threading.Lock] = {}  # lock file path -> the lock threads of this process take first
_LOCKS_GUARD = threading.Lock()
log = logging.getLogger(__name__)

Retest = Callable[[Path, str, str], StageResult]


class PushError(WorktreeError):
    """A push that git could not make or the remote refused; the message carries git's words."""


class _TargetMoved(Exception):
    """The target's head changed between reading it and moving it: land again from the new head."""


class GitIntegrator:
    """The ``Integrator`` port over the git repository ``repo``; temporary merge worktrees go in ``scratch``.

    ``scratch`` should be a folder of its own (not the run worktrees' root, whose gc removes folders it does not know).
    """

    def __init__(self, repo: Path, scratch: Path) -> None:
        self.repo = repo
        self.scratch = scratch
        self._worktrees = Worktrees(repo, scratch)
        self._lock_dir: Path | None = None

    # -- branches ------------------------------------------------------------------------------------

    def head(self, branch: str) -> str | None:
        return self._resolve(f"refs/heads/{branch}")

    def ensure_branch(self, branch: str, start: str) -> str:
        """Create ``branch`` at ``start`` (a branch or commit) unless it exists; its head. Safe against racing creators."""
        self._check_name(branch)
        current = self.head(branch)
        if current is not None:
            return current
        commit = self._resolve(start)
        if commit is None:
            raise WorktreeError(f"cannot create branch {branch!r}: {start!r} names no commit in {self.repo}")
        try:  # create-only: the old value "all zeros" means "must not exist yet"
            git(self.repo, "update-ref", "-m", f"overseer: create {branch}", f"refs/heads/{branch}", commit, "0" * len(commit))
        except WorktreeError:
            current = self.head(branch)
            if current is None:
                raise
            return current  # another process created it first
        return commit

    def delete_branch(self, branch: str) -> None:
        """Delete ``branch``; a missing one is fine, one checked out in a worktree is refused by git."""
        if self.head(branch) is None:
            return
        try:
            git(self.repo, "branch", "-D", branch)
        except WorktreeError:
            if self.head(branch) is not None:
                raise

    def push(self, remote: str, branch: str) -> str:
        """``git push <remote> <branch>:<branch>``; the commit pushed."""
        commit = self.head(branch)
        if commit is None:
            raise PushError(f"cannot push {branch!r} to {remote!r}: there is no such branch in {self.repo}")
        try:
            git(self.repo, "push", "--quiet", "--end-of-options", remote, f"refs/heads/{branch}:refs/heads/{branch}", timeout=300)
        except WorktreeError as err:
            raise PushError(f"pushing {branch} to {remote} failed: {err} (check the remote's URL and access rights, "
                            f"or bring its new commits into {branch} first)") from None
        return commit

    # -- changes -------------------------------------------------------------------------------------

    def changed_files(self, base: str, head: str) -> list[str]:
        """Paths added, modified or renamed (the new name) from ``base`` to ``head``; deleted ones left out."""
        out = git(self.repo, "diff", "--name-only", "-z", "--no-ext-diff", "-M", "--diff-filter=d", base, head, "--")
        return [name for name in out.split("\0") if name]

    def current_branch(self) -> str | None:
        """The branch checked out in the repository itself (None when HEAD is detached)."""
        try:
            return git(self.repo, "symbolic-ref", "--quiet", "--short", "HEAD").strip() or None
        except WorktreeError:
            return None

    def merge_base(self, a: str, b: str) -> str:
        """The best common ancestor of ``a`` and ``b`` (what an epic's integration diff is measured from)."""
        return git(self.repo, "merge-base", "--end-of-options", a, b).strip()

    def diff(self, base: str, head: str, *, max_chars: int = 200_000) -> str:
        """The patch from ``base`` to ``head``, cut at a line end within ``max_chars`` and then marked as cut."""
        text = git(self.repo, "diff", "--no-ext-diff", "--no-color", "-M", base, head, "--")
        if len(text) <= max_chars:
            return text
        cut = text.rfind("\n", 0, max_chars) + 1 or max_chars
        return text[:cut] + f"[diff truncated: {len(text) - cut} of {len(text)} characters left out]\n"

    # -- landing -------------------------------------------------------------------------------------

    def land(self, source: str, target: str, *, base: str | None, message: str, retest: Retest | None = None) -> MergeResult:
        """Merge ``source`` into ``target``: see the module docstring. Raises ``WorktreeError`` when git cannot work."""
        self._check_name(target)
        with self._target_lock(target):
            for _ in range(ATTEMPTS):
                with contextlib.suppress(_TargetMoved):
                    return self._land_once(source, target, base, message or f"Merge {source} into {target}", retest)
        return MergeResult(status="moved", target=target, previous=self.head(target),
                           detail=f"{target} kept moving while {source} was landing ({ATTEMPTS} attempts); land it again")

    def _land_once(self, source: str, target: str, base: str | None, message: str, retest: Retest | None) -> MergeResult:
        old = self.head(target)
        if old is None:
            raise WorktreeError(f"cannot land {source!r}: target branch {target!r} does not exist (create it with ensure_branch)")
        commit = self._resolve(source)
        if commit is None:
            raise WorktreeError(f"cannot land {source!r} into {target}: it names no commit in {self.repo}")
        if self._is_ancestor(commit, old):
            return MergeResult(status="merged", target=target, commit=old, previous=old, detail=f"already in {target}")
        moved = base is not None and old != (self._resolve(base) or base)
        with self.scratch_worktree(old) as tmp:
            conflicts = self._merge(tmp, commit, message)
            if conflicts:
                return MergeResult(status="conflict", target=target, previous=old, conflicts=conflicts, moved=moved,
                                   detail=f"merging {source} into {target} conflicts in {', '.join(conflicts)}")
            merged = git(tmp, "rev-parse", "HEAD").strip()
            checked = retest(tmp, old, merged) if moved and retest is not None else None
            if checked is not None and checked.blocks:
                return MergeResult(status="retest_failed", target=target, previous=old, moved=True, retest=checked,
                                   detail=f"{target} moved since {source} started and the retest of the merge "
                                          f"{checked.status.value}: {checked.detail}")
            refused = self._advance(target, old, merged)
        if refused:
            return MergeResult(status="blocked", target=target, previous=old, moved=moved, retest=checked, detail=refused)
        return MergeResult(status="merged", target=target, commit=merged, previous=old, moved=moved, retest=checked,
                           detail=f"merged {source} into {target} at {merged[:10]}")

    def _merge(self, tmp: Path, commit: str, message: str) -> tuple[str, ...]:
        """Merge ``commit`` into the scratch worktree's HEAD; the conflicted paths (the merge aborted) or ()."""
        try:
            git(tmp, *_NO_HOOKS, "merge", "--quiet", "--no-ff", "--no-edit", "-m", message, commit)
            return ()
        except WorktreeError:
            out = git(tmp, "diff", "--name-only", "-z", "--diff-filter=U")
            conflicts = tuple(name for name in out.split("\0") if name)
            if not conflicts:
                raise
            with contextlib.suppress(WorktreeError):  # the worktree is removed anyway
                git(tmp, *_NO_HOOKS, "merge", "--abort")
            return conflicts

    def _advance(self, target: str, old: str, merged: str) -> str | None:
        """Move ``target`` from ``old`` to ``merged``; why not when a checkout refused. ``_TargetMoved`` when it moved."""
        checkout = self._checkout_of(target)
        if checkout is None:
            try:
                git(self.repo, "update-ref", "-m", f"overseer: land into {target}", f"refs/heads/{target}", merged, old)
            except WorktreeError:
                if self.head(target) != old:
                    raise _TargetMoved from None
                raise
            return None
        if self.head(target) != old:
            raise _TargetMoved
        try:
            git(checkout, "merge", "--ff-only", "--quiet", merged)
        except WorktreeError as err:
            if self.head(target) != old:
                raise _TargetMoved from None
            return (f"{target} is checked out in {checkout} and git refused to fast-forward it to {merged[:10]}, "
                    f"so nothing changed: {err} (commit or stash the changes there, then land again)")
        return None

    def _checkout_of(self, target: str) -> Path | None:
        """The worktree (an existing folder) that has ``target`` checked out, if any."""
        path: Path | None = None
        for line in git(self.repo, "worktree", "list", "--porcelain").splitlines():
            if line.startswith("worktree "):
                path = Path(line[len("worktree "):])
            elif line == f"branch refs/heads/{target}" and path is not None and path.is_dir():
                return path
        return None

    @contextlib.contextmanager
    def scratch_worktree(self, commit: str, prefix: str = "land") -> Iterator[Path]:
        """A detached worktree of ``commit`` under ``scratch``, removed afterwards whatever happens."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        path = (self.scratch / f"{prefix}-{secrets.token_hex(6)}").resolve()
        try:
            with self._worktrees._admin_lock():
                git(self.repo, *_NO_HOOKS, "worktree", "add", "--quiet", "--detach", str(path), commit)
            yield path
        finally:
            try:
                self._worktrees._remove_path(path)
            except WorktreeError as err:  # never hide the landing's own outcome; `git worktree prune` finishes it later
                log.warning("could not remove the scratch worktree %s: %s", path, err)

    @contextlib.contextmanager
    def _target_lock(self, target: str) -> Iterator[None]:
        """Hold ``target``'s landing lock: a thread lock, then a file lock other processes honour too."""
        if self._lock_dir is None:
            common = Path(git(self.repo, "rev-parse", "--git-common-dir").strip())
            self._lock_dir = (common if common.is_absolute() else self.repo / common) / "overseer-land"
            self._lock_dir.mkdir(exist_ok=True)
        digest = hashlib.sha256(target.encode()).hexdigest()[:10]
        path = self._lock_dir / f"{re.sub(r'[^A-Za-z0-9._-]', '_', target)}-{digest}.lock"
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(str(path.resolve()), threading.Lock())
        with lock, open(path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- helpers -------------------------------------------------------------------------------------

    def _check_name(self, branch: str) -> None:
        try:
            valid = git(self.repo, "check-ref-format", "--branch", branch).strip() == branch
        except WorktreeError:
            valid = False
        if not valid:
            raise WorktreeError(f"{branch!r} is not a valid branch name (see `git check-ref-format --help`)")

    def _resolve(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None."""
        try:
            return git(self.repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip()
        except WorktreeError:
            return None

    def _is_ancestor(self, commit: str, of: str) -> bool:
        try:
            git(self.repo, "merge-base", "--is-ancestor", commit, of)
        except WorktreeError:
            return False
        return True
