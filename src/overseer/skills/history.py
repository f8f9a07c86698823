"""Session history: the earlier skill calls of a session, kept as ``skill.called`` events in the store's event log.

Because the history is the event log, it survives restarts and is shared by every process on the same database. A
session is any name the caller chooses (``--session``); calls without one have no history. What the model sees is
bounded: the last ``limit`` calls, each an excerpt of its request and answer, in about ``chars`` characters in all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from overseer.domain import Event

CALLED = "skill.called"
FAILED = "skill.failed"
EXCERPT = 2000  # characters of the request and of the answer kept in each event


@dataclass(frozen=True)
class PastCall:
    skill: str
    prompt: str
    answer: str

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PastCall:
        return cls(str(data.get("skill", "?")), str(data.get("prompt", "")), str(data.get("answer", "")))


class SessionHistory(Protocol):
    """The last ``limit`` calls of ``session``, oldest first."""

    def __call__(self, session: str, limit: int) -> Sequence[PastCall]: ...


class EventSource(Protocol):
    """The part of the store's event log the history reads (``TaskStore`` has it)."""

    def events(self, after_seq: int = 0, limit: int = 100, task_id: str | None = None) -> list[Event]: ...

    def last_event_seq(self) -> int: ...


class EventLogHistory:
    """Reads ``skill.called`` events of a session from the newest event backwards, ``page`` events at a time, looking at
    no more than ``scan_limit`` events (a session whose last call is older than that starts afresh)."""

    def __init__(self, source: EventSource, *, page: int = 500, scan_limit: int = 50_000) -> None:
        self.source, self.page, self.scan_limit = source, page, scan_limit

    def __call__(self, session: str, limit: int) -> list[PastCall]:
        found: list[PastCall] = []
        top, scanned = self.source.last_event_seq(), 0
        while top > 0 and len(found) < limit and scanned < self.scan_limit:
            low = max(0, top - self.page)
            for event in reversed(self.source.events(after_seq=low, limit=top - low)):
                if event.seq <= top and event.kind == CALLED and event.data.get("session") == session:
                    found.append(PastCall.from_data(event.data))
            scanned, top = scanned + top - low, low
        return list(reversed(found[:limit]))


def excerpt(text: str, chars: int) -> str:
    """``text`` with its whitespace collapsed, cut at a word within ``chars`` characters (marked with …)."""
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return flat
    cut = flat[:max(0, chars - 1)]
    space = cut.rfind(" ")
    return (cut[:space] if space > chars // 2 else cut).rstrip() + "…"


def render_history(calls: Sequence[PastCall], chars: int) -> str:
    """``## Session history`` for ``calls`` (oldest first) in about ``chars`` characters; empty when there are none."""
    if not calls or chars <= 0:
        return ""
    share = max(120, chars // len(calls))
    items = []
    for number, call in enumerate(calls, 1):
        head, middle = f"{number}. **{call.skill}** — asked: ", "\n   answered: "
        room = max(60, share - len(head) - len(middle))
        asked = excerpt(call.prompt, room // 3)
        items.append(f"{head}{asked}{middle}{excerpt(call.answer, room - len(asked))}")
    while len(items) > 1 and sum(map(len, items)) > chars:
        items.pop(0)  # the oldest goes first when even the excerpts do not fit
    return "## Session history\n\nEarlier calls in this session, oldest first (excerpts):\n\n" + "\n".join(items) + "\n"
