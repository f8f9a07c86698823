"""A run's log: bytes as the agent wrote them, secrets masked, bounded in size.

The first half of the budget goes to disk as it arrives (the head). Everything after it passes through a ring
buffer holding the last bytes (the tail). On ``close`` the tail is appended, after a marker line saying how
many bytes in between were left out, so the file never exceeds ``max_bytes``::

    <head: first max_bytes/2 bytes>
    [… 49123456 bytes omitted …]
    <tail: last bytes>

Bytes are written as received (undecodable ones survive); decode with ``errors="replace"`` only to parse.
A supervisor that dies before ``close`` leaves the head on disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from overseer.domain.runs import AgentEvent

__all__ = ["MASK", "MIN_SECRET_LENGTH", "BoundedLog", "Masker", "mask"]

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Values shorter than this are not masked: masking "1" or "yes" everywhere would garble the log, not protect it."""

_MARKER_RESERVE = 64  # room kept for the marker line


class Masker:
    """Replaces every secret value with ``***`` in text and bytes; the longest secrets are replaced first."""

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self.secrets: tuple[str, ...] = tuple(kept)
        self._encoded = tuple(s.encode("utf-8") for s in kept)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def data(self, data: bytes) -> bytes:
        for secret in self._encoded:
            if secret in data:
                data = data.replace(secret, MASK.encode())
        return data

    def value(self, value: Any) -> Any:
        """Strings masked inside any nesting of mappings, lists and tuples; other values as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value

    def event(self, event: AgentEvent) -> AgentEvent:
        """``event`` with secrets masked in every text field and tool input (the same object when nothing changed)."""
        if not self.secrets:
            return event
        changes = {f.name: self.value(getattr(event, f.name)) for f in fields(event)}
        changed = {name: value for name, value in changes.items() if value != getattr(event, name)}
        return replace(event, **changed) if changed else event


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (of at least ``MIN_SECRET_LENGTH`` characters) replaced by ``***``."""
    return Masker(secrets).text(text)


class BoundedLog:
    """An append-only log file of at most ``max_bytes`` bytes with secrets masked. Use as a context manager."""

    def __init__(self, path: Path, max_bytes: int, secrets: Iterable[str] = ()) -> None:
        if max_bytes < 2 * _MARKER_RESERVE:
            raise ValueError(f"max_bytes must be at least {2 * _MARKER_RESERVE} (got {max_bytes})")
        self.path = path
        self.max_bytes = max_bytes
        self.masker = Masker(secrets)
        self._head_cap = max_bytes // 2
        self._tail_cap = max_bytes - self._head_cap - _MARKER_RESERVE
        self._head_len = 0
        self._total = 0
        self._ring = bytearray()
        self._head_last = b""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")
        self.closed = False

    # -- writing -------------------------------------------------------------------------------------

    def write(self, data: bytes | str) -> None:
        """Append ``data`` (str is UTF-8 encoded) with secrets masked. A secret split across two calls is not seen:
        write whole lines."""
        if self.closed:
            raise ValueError(f"log {self.path} is closed")
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        raw = self.masker.data(raw)
        if not raw:
            return
        self._total += len(raw)
        room = self._head_cap - self._head_len
        if room > 0:
            head = raw[:room]
            self._file.write(head)
            self._file.flush()
            self._head_len += len(head)
            self._head_last = head[-1:]
        self._ring += raw[-self._tail_cap:]
        if len(self._ring) > 2 * self._tail_cap:
            del self._ring[:-self._tail_cap]

    def write_line(self, line: bytes | str) -> None:
        """Append one line; a newline is added."""
        self.write((line.encode("utf-8") if isinstance(line, str) else line) + b"\n")

    def mask(self, text: str) -> str:
        """``text`` with this log's secrets masked (for event payloads and error messages)."""
        return self.masker.text(text)

    # -- reading -------------------------------------------------------------------------------------

    @property
    def bytes_received(self) -> int:
        """Everything written so far (after masking), kept or not."""
        return self._total

    @property
    def bytes_omitted(self) -> int:
        """How many bytes the closed file leaves out (so far, if still open)."""
        after_head = self._total - self._head_len
        return max(0, after_head - self._tail_cap)

    def tail(self, n_bytes: int) -> bytes:
        """The last ``n_bytes`` written (at most the tail budget), for a live view."""
        if n_bytes <= 0:
            return b""
        return bytes(self._ring[-min(n_bytes, self._tail_cap):])

    # -- closing -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Write the tail (after the marker when bytes were left out) and close the file. Idempotent."""
        if self.closed:
            return
        after_head = self._total - self._head_len
        keep = min(after_head, self._tail_cap)
        omitted = after_head - keep
        if omitted:
            self._file.write(self._marker(omitted))
        if keep:
            self._file.write(bytes(self._ring[-keep:]))
        self._file.close()
        self.closed = True

    def _marker(self, omitted: int) -> bytes:
        lead = b"" if self._head_last in (b"", b"\n") else b"\n"
        return lead + f"[… {omitted} bytes omitted …]\n".encode()

    def __enter__(self) -> BoundedLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
