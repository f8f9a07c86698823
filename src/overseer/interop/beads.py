"""Beads (``.beads/issues.jsonl``) import and export: pure functions over lines, and the two file helpers.

The caller stores what it reads: ``store.import_graph(batch.tasks, batch.deps, actor=...)``. Reading a file
either succeeds whole or raises ``ImportFormatError`` naming ``path:line``, so nothing is half imported.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from overseer.domain import Dependency, Task
from overseer.interop.beads_read import BeadsBatch, parse_beads
from overseer.interop.beads_write import dump_beads

__all__ = ["BeadsBatch", "dump_beads", "parse_beads", "read_beads_file", "write_beads_file"]


def read_beads_file(path: str | os.PathLike[str], *, skip_bad: bool = False) -> BeadsBatch:
    """Parse a Beads JSONL file (UTF-8, a leading BOM allowed); see ``parse_beads``."""
    # surrogateescape keeps a line of bad bytes a line, so parse_beads can name it instead of the decoder failing
    with open(path, encoding="utf-8-sig", errors="surrogateescape") as lines:
        return parse_beads(lines, os.fspath(path), skip_bad=skip_bad)


def write_beads_file(path: str | os.PathLike[str], tasks: Iterable[Task], deps: Iterable[Dependency]) -> int:
    """Write ``dump_beads(tasks, deps)`` to ``path``, one record a line; return how many were written.

    The lines go to a temporary file beside ``path`` that then replaces it, so a failure leaves the old file whole.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            count = 0
            for line in dump_beads(tasks, deps):
                out.write(line + "\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
