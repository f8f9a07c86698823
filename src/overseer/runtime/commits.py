"""``GitCommitLog``: the history the commit auditor reads — new commits since the last one checked (a history rewrite
yields only the rewritten commits), the files each changed, a scratch checkout of a commit, and a snapshot commit of
uncommitted work made through a private index (the user's index, branches and files are never touched)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from overseer.domain.audit import Commit
from overseer.runtime.integration import GitIntegrator
from overseer.runtime.worktree import WorktreeError, git

_SEP = "\x1e"  # between commits in `git log` output
_IDENTITY = {"GIT_AUTHOR_NAME": "overseer", "GIT_AUTHOR_EMAIL": "overseer@localhost",
             "GIT_COMMITTER_NAME": "overseer", "GIT_COMMITTER_EMAIL": "overseer@localhost"}


class GitCommitLog:
    def __init__(self, repo: Path, scratch: Path) -> None:
        self.repo = repo
        self._trees = GitIntegrator(repo, scratch)

    def head(self) -> str | None:
        return self._rev("HEAD")

    def exists(self, rev: str) -> bool:
        return self._rev(rev) is not None

    def resolve(self, rev: str) -> str:
        sha = self._rev(rev)
        if sha is None:
            raise WorktreeError(f"{rev!r} is not a commit of {self.repo} (give a sha, a branch, a tag or HEAD~N)")
        return sha

    def new_commits(self, since: str | None, head: str) -> list[Commit]:
        if since is not None and not self.exists(since):
            since = None  # the last checked commit is gone (a rewrite and a gc): audit HEAD alone
        spec = [head, f"^{since}"] if since else [head, "-1"]
        out = git(self.repo, "log", "--reverse" if since else "--no-walk", f"--format=%H%x00%P%x00%B{_SEP}", *spec, "--")
        commits = []
        for chunk in out.split(_SEP):
            chunk = chunk.strip("\n")
            if chunk:
                sha, parents, message = chunk.split("\x00", 2)
                commits.append(Commit(sha, message.strip(), tuple(parents.split())))
        return commits

    def changed_files(self, base: str, head: str) -> list[str]:
        return self._trees.changed_files(base, head)

    @contextmanager
    def checkout(self, commit: str) -> Iterator[Path]:
        with self._trees.scratch_worktree(commit, prefix="audit") as path:
            yield path

    def snapshot(self) -> str | None:
        head = self.head()
        if head is None:
            return None
        with tempfile.TemporaryDirectory(prefix="overseer-index-") as tmp:
            env = {**os.environ, **_IDENTITY, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
            run = _runner(self.repo, env)
            run("read-tree", head)
            run("add", "-A", "--", ".", ":(exclude).overseer")
            tree = run("write-tree")
            if tree == run("rev-parse", f"{head}^{{tree}}"):
                return None
            return run("commit-tree", tree, "-p", head, "-m", "overseer audit: uncommitted work")

    def _rev(self, rev: str) -> str | None:
        try:
            return git(self.repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip() or None
        except WorktreeError:
            return None


def _runner(repo: Path, env: dict[str, str]) -> Callable[..., str]:
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise WorktreeError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
        return done.stdout.strip()
    return run
