"""Files the API and the dashboard read beside the store: run logs and paths named by a client.

Every path a client names is checked before it is used: relative, no ``..``, no NUL, no drive or backslash tricks.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from overseer.config import STATE_DIR
from overseer.domain import ValidationError

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
LOGS = {"output": "output.log", "events": "events.jsonl"}


def safe_relpath(value: str, *, field: str = "path") -> str:
    """A repository-relative POSIX path, or ``ValidationError(field)``: absolute paths, ``..``, NUL, backslashes and
    empty parts are refused."""
    if not value or "\x00" in value or "\\" in value or value.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", value):
        raise ValidationError(field, f"{value!r} is not a relative path inside the repository")
    parts = PurePosixPath(value).parts
    if any(p in ("..", "") for p in parts) or value.endswith("/.."):
        raise ValidationError(field, f"{value!r} leaves the repository ('..' is not allowed)")
    return value


def run_dir(root: Path, run_id: str) -> Path:
    if not RUN_ID.match(run_id):
        raise ValidationError("run_id", f"{run_id!r} is not a run id")
    return root / STATE_DIR / "runs" / run_id


def read_tail(path: Path, max_bytes: int) -> tuple[str, int]:
    """The last ``max_bytes`` of a file (starting at a line) and its size; ("", 0) when it does not exist yet."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read()
    except FileNotFoundError:
        return "", 0
    if start > 0 and b"\n" in data:
        data = data[data.index(b"\n") + 1:]
    return data.decode("utf-8", errors="replace"), size


def read_chunk(path: Path, offset: int, whole: bool, max_bytes: int = 1 << 20) -> tuple[str, int]:
    """What was appended to ``path`` since ``offset`` and the offset after it, ending at a character boundary unless
    ``whole`` (the writer is done). A file shorter than ``offset`` was replaced: it is read again from the start."""
    try:
        with path.open("rb") as fh:
            if fh.seek(0, 2) < offset:
                offset = 0
            fh.seek(offset)
            data = fh.read(max_bytes)
    except FileNotFoundError:
        return "", offset
    keep = len(data) if whole else complete_utf8(data)
    return data[:keep].decode("utf-8", errors="replace"), offset + keep


def complete_utf8(data: bytes) -> int:
    """How many leading bytes of ``data`` hold whole UTF-8 characters (a sequence cut at the end is left out)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): does its sequence fit in what is left?
            need = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4 if byte >> 3 == 0b11110 else 1
            return len(data) if back >= need else len(data) - back
    return len(data)
