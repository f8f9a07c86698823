"""Diff sanity, the cheapest stage: the change is not empty, stays inside the allowed paths, and is not too big.

Findings (all HIGH, so any one fails the stage):

    EMPTY_DIFF        base == head or nothing changed (unless ``allow_empty`` in the config or the context)
    PATH_NOT_ALLOWED  a path (added, changed or deleted) no ``allowed_paths`` glob matches
    DIFF_SIZE         more files than ``max_files`` or more lines (added + deleted) than ``max_lines``
    FILE_SIZE         a file at head larger than ``max_file_bytes``
    BINARY_FILE       a binary file at head (git's numstat shows ``-``), unless ``allow_binary``

A glob matches with ``fnmatch`` (``*`` crosses ``/``); ``src``, ``src/`` and ``src/**`` also match everything under ``src/``.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Sequence

from overseer.config.verify import DiffConfig
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus
from overseer.ports import CheckContext
from overseer.verify.git import GitError, NumStat, blob_sizes, files_of, numstat

__all__ = ["DiffStage", "path_allowed"]

_MAX_LISTED = 20  # findings of one kind before the rest are summed up in one


def path_allowed(path: str, globs: Sequence[str]) -> bool:
    """True when ``globs`` is empty or one of them matches ``path`` (see the module docstring)."""
    if not globs:
        return True
    for glob in globs:
        stem = glob.removesuffix("/**").rstrip("/")
        if fnmatch.fnmatchcase(path, glob) or (stem and not _has_magic(stem) and path.startswith(stem + "/")):
            return True
    return False


def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


class DiffStage:
    name = "diff"

    def __init__(self, config: DiffConfig | None = None) -> None:
        self.config = config or DiffConfig()

    def run(self, ctx: CheckContext) -> StageResult:
        started = time.monotonic()
        try:
            stats = numstat(ctx.workdir, ctx.base_commit, ctx.head_commit)
            present = files_of(ctx) if stats else []
            sizes = blob_sizes(ctx.workdir, ctx.head_commit, present)
        except GitError as err:
            return StageResult(self.name, StageStatus.ERROR, detail=f"cannot read the change: {err}", duration_s=time.monotonic() - started)
        findings = self._findings(ctx, stats, present, sizes)
        added = sum(s.added for s in stats.values())
        deleted = sum(s.deleted for s in stats.values())
        detail = f"{len(stats)} files, +{added} -{deleted}"
        blocking = [f for f in findings if f.severity.at_least(Severity.HIGH)]
        if blocking:
            detail += f"; {len(blocking)} blocking: {blocking[0].message}"
        status = StageStatus.FAILED if blocking else StageStatus.PASSED
        return StageResult(self.name, status, tuple(findings), duration_s=time.monotonic() - started, detail=detail,
                           metrics={"files_changed": float(len(stats)), "lines_added": float(added), "lines_deleted": float(deleted)})

    def _findings(self, ctx: CheckContext, stats: dict[str, NumStat], present: list[str], sizes: dict[str, int]) -> list[Finding]:
        cfg = self.config
        if not stats:
            if cfg.allow_empty or ctx.allow_empty:
                return []
            return [self._finding("EMPTY_DIFF", "the change is empty: nothing was added, changed or deleted",
                                  remediation="make the change the task asks for and commit it")]
        findings = self._outside(sorted(stats))
        lines = sum(s.added + s.deleted for s in stats.values())
        if len(stats) > cfg.max_files:
            findings.append(self._finding("DIFF_SIZE", f"the change touches {len(stats)} files, more than the limit of {cfg.max_files}",
                                          remediation="split the work into smaller changes"))
        if lines > cfg.max_lines:
            findings.append(self._finding("DIFF_SIZE", f"the change adds and deletes {lines} lines, more than the limit of {cfg.max_lines}",
                                          remediation="split the work into smaller changes"))
        big = [(p, sizes[p]) for p in present if sizes.get(p, 0) > cfg.max_file_bytes]
        findings += self._listed("FILE_SIZE", [(p, f"{p} is {n} bytes, more than the limit of {cfg.max_file_bytes}") for p, n in big],
                                 "keep large generated or data files out of the change")
        if not cfg.allow_binary:
            binary = [p for p in present if stats.get(p, NumStat(0, 0)).binary]
            findings += self._listed("BINARY_FILE", [(p, f"{p} is a binary file") for p in binary],
                                     "remove the binary file from the change, or set verify.diff.allow_binary")
        return findings

    def _outside(self, paths: list[str]) -> list[Finding]:
        outside = [p for p in paths if not path_allowed(p, self.config.allowed_paths)]
        allowed = ", ".join(self.config.allowed_paths)
        return self._listed("PATH_NOT_ALLOWED", [(p, f"{p} is outside the allowed paths ({allowed})") for p in outside],
                            f"change only files under {allowed}, or revert the others")

    def _listed(self, kind: str, items: list[tuple[str, str]], remediation: str) -> list[Finding]:
        found = [self._finding(kind, message, file=path, remediation=remediation) for path, message in items[:_MAX_LISTED]]
        if len(items) > _MAX_LISTED:
            found.append(self._finding(kind, f"... and {len(items) - _MAX_LISTED} more like these", remediation=remediation))
        return found

    def _finding(self, kind: str, message: str, *, file: str | None = None, remediation: str | None = None) -> Finding:
        return Finding(self.name, Severity.HIGH, kind, message, file=file, remediation=remediation)
