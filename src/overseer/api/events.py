"""One poller over the event log, fanned out to every server-sent-events client.

The broker asks the store for the last sequence number every ``poll_seconds`` (a primary-key lookup), reads what is
new in one query and puts it on each subscriber's queue, so 50 browsers cost one query, not 50. The store is the
source of truth: events written by other processes (a CLI, another supervisor) arrive the same way as our own. A
subscriber that falls ``queue_size`` events behind is told to resync (``event: resync``) instead of slowing the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from overseer.domain.models import Event
from overseer.domain.serialize import event_dict

ReadEvents = Callable[[int, int], list[Event]]


@dataclass(eq=False)
class Subscription:
    task_id: str | None = None
    kinds: tuple[str, ...] = ()
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    overflowed: bool = False

    def wants(self, event: Event) -> bool:
        if self.task_id is not None and event.task_id != self.task_id:
            return False
        return not self.kinds or any(event.kind == k or event.kind.startswith(k + ".") for k in self.kinds)


class EventBroker:
    def __init__(self, read: ReadEvents, last_seq: Callable[[], int], *, poll_seconds: float = 0.02, batch: int = 1000) -> None:
        self.read, self.last_seq, self.poll_seconds, self.batch = read, last_seq, poll_seconds, batch
        self.cursor = 0
        self.subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self.polls = 0

    async def start(self) -> None:
        if self._task is None:
            self.cursor = await asyncio.to_thread(self.last_seq)
            self._task = asyncio.create_task(self._run(), name="overseer-event-broker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for sub in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def subscribe(self, *, task_id: str | None = None, kinds: tuple[str, ...] = ()) -> Subscription:
        sub = Subscription(task_id, kinds)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store hiccup (locked, restarting): try again at the next poll
                await asyncio.sleep(self.poll_seconds * 10)
            await asyncio.sleep(self.poll_seconds)

    async def poll_once(self) -> int:
        """Deliver whatever is new; returns how many events."""
        self.polls += 1
        if not self.subscribers:
            self.cursor = max(self.cursor, await asyncio.to_thread(self.last_seq))
            return 0
        last = await asyncio.to_thread(self.last_seq)
        delivered = 0
        while last > self.cursor:
            events = await asyncio.to_thread(self.read, self.cursor, self.batch)
            if not events:
                break
            for event in events:
                self.publish(event)
            self.cursor = events[-1].seq
            delivered += len(events)
        return delivered

    def publish(self, event: Event) -> None:
        for sub in list(self.subscribers):
            if not sub.wants(event):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.overflowed = True


def sse(event: str, data: object, *, id_: int | None = None) -> str:
    lines = [f"id: {id_}"] if id_ is not None else []
    lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in json.dumps(data, default=str).splitlines() or [""])
    return "\n".join(lines) + "\n\n"


async def stream(broker: EventBroker, backlog: list[Event], sub: Subscription, *, heartbeat_seconds: float,
                 disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """The backlog (events after the client's last id), then live events; a comment line keeps proxies from timing out."""
    last = 0
    try:
        yield "retry: 2000\n\n"
        for old in backlog:
            last = old.seq
            yield sse(old.kind, event_dict(old), id_=old.seq)
        while True:
            try:
                event = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat_seconds)
            except TimeoutError:
                if await disconnected():
                    return
                yield ": keep-alive\n\n"
                continue
            if event is None:
                return
            if sub.overflowed:
                sub.overflowed = False
                yield sse("resync", {"reason": "this client fell behind; reload the events after your last id", "after": last})
            if event.seq <= last:
                continue
            last = event.seq
            yield sse(event.kind, event_dict(event), id_=event.seq)
    finally:
        broker.unsubscribe(sub)
