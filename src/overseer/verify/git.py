"""What a change ``base..head`` holds, read from git: the files it leaves, its line counts, its text, the lines it adds.

Paths are relative to the repository root and never quoted; the user's git config cannot change the output
(no external diff, no colour, fixed ``a/``/``b/`` prefixes). A git command that fails raises ``GitError``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from overseer.ports import CheckContext

__all__ = ["AddedLine", "GitError", "NumStat", "added_lines", "blob_sizes", "changed_files", "diff", "diff_text", "files_of", "git",
           "numstat"]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_DIFF_FLAGS = ("--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/")


class GitError(RuntimeError):
    """A git command that failed: the command, the directory, and what git said."""


@dataclass(frozen=True)
class NumStat:
    added: int
    deleted: int
    binary: bool = False  # git prints "-\t-" for a binary file


@dataclass(frozen=True)
class AddedLine:
    file: str
    line: int
    text: str


def git(workdir: Path, *args: str, timeout: float = 120.0) -> str:
    """``git -C workdir args...``'s stdout; raises ``GitError`` saying what failed and why."""
    argv = ["git", "-c", "core.quotepath=off", "--literal-pathspecs", "-C", str(workdir), *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GitError(f"`git {' '.join(args)}` could not run in {workdir}: {err}") from err
    if done.returncode != 0:
        said = done.stderr.strip() or done.stdout.strip() or "no output"
        raise GitError(f"`git {' '.join(args)}` failed in {workdir} (exit {done.returncode}): {said}")
    return done.stdout


def changed_files(workdir: Path, base: str, head: str) -> list[str]:
    """The paths ``base..head`` adds, modifies, renames or copies (deleted ones left out), sorted."""
    if base == head:
        return []
    out = git(workdir, "diff", "--name-only", "-z", "--diff-filter=d", "--no-ext-diff", base, head)
    return sorted({p for p in out.split("\0") if p})


def files_of(ctx: CheckContext) -> list[str]:
    """The context's changed files, read from git when the context does not list them."""
    return list(ctx.files) if ctx.files else changed_files(ctx.workdir, ctx.base_commit, ctx.head_commit)


def numstat(workdir: Path, base: str, head: str) -> dict[str, NumStat]:
    """Lines added and deleted per path (renames as a delete plus an add, so both paths appear)."""
    if base == head:
        return {}
    out = git(workdir, "diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", base, head)
    stats: dict[str, NumStat] = {}
    for entry in out.split("\0"):
        parts = entry.split("\t", 2)
        if len(parts) != 3:
            continue
        added, deleted, path = parts
        if added == "-" and deleted == "-":
            stats[path] = NumStat(0, 0, binary=True)
        else:
            stats[path] = NumStat(int(added), int(deleted))
    return stats


def blob_sizes(workdir: Path, commit: str, paths: Sequence[str]) -> dict[str, int]:
    """The size in bytes of each of ``paths`` at ``commit`` (submodules and missing paths left out)."""
    if not paths:
        return {}
    out = git(workdir, "ls-tree", "-r", "-l", "-z", commit, "--", *paths)
    sizes: dict[str, int] = {}
    for entry in out.split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if path and len(fields) == 4 and fields[3].isdigit():
            sizes[path] = int(fields[3])
    return sizes


def diff(workdir: Path, base: str, head: str) -> str:
    """The whole unified diff of ``base..head`` ("" when they are the same commit)."""
    return "" if base == head else git(workdir, "diff", *_DIFF_FLAGS, base, head)


def diff_text(workdir: Path, base: str, head: str, max_chars: int) -> str:
    """The unified diff of ``base..head``, cut at ``max_chars`` with a note saying how much was left out."""
    text = diff(workdir, base, head)
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + f"\n[... diff cut: {len(text) - max_chars} more characters ...]\n"


def added_lines(workdir: Path, base: str, head: str, paths: Sequence[str] = ()) -> list[AddedLine]:
    """Every line ``base..head`` adds (in ``paths`` only, when given), with its file and its line number in ``head``."""
    if base == head:
        return []
    out = git(workdir, "diff", "-U0", *_DIFF_FLAGS, base, head, "--", *paths)  # pathspecs are literal (see git())
    found: list[AddedLine] = []
    file: str | None = None
    line, in_hunk = 0, False
    for raw in out.split("\n"):
        if raw.startswith("diff --git "):
            file, in_hunk = None, False
        elif not in_hunk and raw.startswith("+++ "):
            file = _path(raw[4:])
        elif (hunk := _HUNK.match(raw)) is not None:
            line, in_hunk = int(hunk.group(1)), True
        elif in_hunk and raw.startswith("+"):
            if file is not None:
                found.append(AddedLine(file, line, raw[1:]))
            line += 1
    return found


def _path(header: str) -> str | None:
    """``b/src/x.py`` -> ``src/x.py``; ``/dev/null`` -> None; a C-quoted name unquoted."""
    header = header.rstrip("\t")
    if header.startswith('"') and header.endswith('"'):
        try:
            header = header[1:-1].encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
        except UnicodeError:
            header = header[1:-1]
    if header == "/dev/null":
        return None
    return header[2:] if header.startswith("b/") else header
