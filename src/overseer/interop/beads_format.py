"""The Beads JSONL format: key order, status mapping, timestamps and JSON text exactly as Beads (Go) writes them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from overseer.domain import TaskStatus

#: The order Beads writes an issue's keys in (its Go struct order); keys it may omit are still listed.
ISSUE_KEYS = (
    "id", "title", "description", "design", "acceptance_criteria", "notes", "status", "priority", "issue_type",
    "assignee", "owner", "estimated_minutes", "created_at", "created_by", "updated_at", "external_ref", "closed_at",
    "close_reason", "compaction_level", "compacted_at", "compacted_at_commit", "original_size", "labels",
    "dependencies", "ephemeral", "comments", "deleted_at", "deleted_by", "delete_reason", "original_type",
    "await_type", "await_id", "timeout", "overseer",
)
DEP_KEYS = ("issue_id", "depends_on_id", "type", "created_at", "created_by", "overseer")
COMMENT_KEYS = ("id", "issue_id", "author", "text", "created_at")

#: Beads statuses and the Overseer status each imports as; any other Beads status imports as ON_HOLD.
STATUS_FROM_BEADS = {
    "open": TaskStatus.OPEN,
    "in_progress": TaskStatus.CLAIMED,
    "closed": TaskStatus.DONE,
    "tombstone": TaskStatus.DELETED,
}
STATUS_TO_BEADS = {
    TaskStatus.OPEN: "open",
    TaskStatus.CLAIMED: "in_progress",
    TaskStatus.RUNNING: "in_progress",
    TaskStatus.VERIFYING: "in_progress",
    TaskStatus.DONE: "closed",
    TaskStatus.CANCELLED: "closed",
    TaskStatus.DELETED: "tombstone",
}
HELD_STATUS = "blocked"
IN_PROGRESS = frozenset({TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING})
#: Who holds an ``in_progress`` issue that names no assignee.
DEFAULT_CLAIMANT = "beads"


def status_from_beads(status: str) -> TaskStatus:
    return STATUS_FROM_BEADS.get(status, TaskStatus.ON_HOLD)


def status_to_beads(status: TaskStatus) -> str:
    return STATUS_TO_BEADS.get(status, HELD_STATUS)


@lru_cache(maxsize=8)
def _rank(canonical: tuple[str, ...]) -> dict[str, int]:
    return {key: i for i, key in enumerate(canonical)}


def ordered(record: Mapping[str, Any], order: Sequence[str], canonical: tuple[str, ...]) -> dict[str, Any]:
    """``record`` with its keys in ``order``, then the rest in ``canonical`` order, then any others as they come."""
    rank = _rank(canonical)
    first = [k for k in order if k in record]
    taken = set(first)
    rest = sorted((k for k in record if k not in taken), key=lambda k: rank.get(k, len(rank)))
    return {k: record[k] for k in (*first, *rest)}


def is_canonical(keys: Iterable[str], canonical: tuple[str, ...]) -> bool:
    """True when ``keys`` are all known and in ``canonical`` order (so the order need not be kept)."""
    rank = _rank(canonical)
    last = -1
    for key in keys:
        at = rank.get(key, -1)
        if at <= last:
            return False
        last = at
    return True


def canonical_comments(value: Any) -> Any:
    """Comments with their keys in Beads order (a JSONB column does not keep the order of nested objects)."""
    if not isinstance(value, list):
        return value
    return [ordered(c, (), COMMENT_KEYS) if isinstance(c, dict) else c for c in value]


# -- timestamps ------------------------------------------------------------------------------------
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)")


def parse_time(text: Any) -> datetime:
    """An RFC 3339 timestamp as an aware datetime; digits past the microsecond are dropped (Python cannot hold them)."""
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp like 2025-11-02T21:58:07.295058-08:00")
    date, clock, frac, zone = match.groups()
    micros = (frac or "")[:6].ljust(6, "0")
    try:
        return datetime.fromisoformat(f"{date}T{clock}.{micros}{zone.upper()}")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date and time ({exc})") from None


def format_time(value: datetime) -> str:
    """RFC 3339 as Go's RFC3339Nano writes it: fraction without trailing zeros, ``Z`` for UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.replace(microsecond=0).isoformat()
    if value.microsecond:
        stamp, zone = text[:19], text[19:]
        text = f"{stamp}.{value.microsecond:06d}".rstrip("0") + zone
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def emit_time(original: str | None, value: datetime) -> str:
    """The imported text when it still denotes ``value`` (to the microsecond), else ``value`` formatted afresh."""
    if original is not None:
        try:
            if parse_time(original) == value:
                return original
        except ValueError:
            pass
    return format_time(value)


# -- JSON text -------------------------------------------------------------------------------------
_GO_ESCAPED = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def encode_line(record: Mapping[str, Any]) -> str:
    """One record as Go's ``encoding/json`` writes it: compact, UTF-8, with ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _GO_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def first_duplicate(items: Iterable[Any]) -> Any | None:
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None
