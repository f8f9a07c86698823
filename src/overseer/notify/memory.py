"""Notifiers without a network: ``RecordingNotifier`` keeps what it was given (the fake for tests), ``NullNotifier`` drops it."""

from __future__ import annotations

from collections.abc import Sequence

from overseer.ports import Notice

__all__ = ["NullNotifier", "RecordingNotifier"]


class RecordingNotifier:
    """Keeps every notice whose kind is wanted (all, when ``events`` is None); ``fail=True`` makes each delivery fail."""

    def __init__(self, events: Sequence[str] | None = None, *, fail: bool = False) -> None:
        self.events = None if events is None else frozenset(events)
        self.fail = fail
        self.notices: list[Notice] = []
        self.failures: list[str] = []

    def notify(self, notice: Notice) -> bool:
        if self.events is not None and notice.kind not in self.events:
            return True
        self.notices.append(notice)
        if self.fail:
            self.failures.append(f"{notice.kind} notice {notice.title!r}: the recording notifier was told to fail")
            return False
        return True

    def kinds(self) -> list[str]:
        return [n.kind for n in self.notices]


class NullNotifier:
    """No notifications configured: every notice is dropped, and that counts as delivered."""

    def notify(self, notice: Notice) -> bool:
        return True
