"""Answers to list reads, kept until the event log moves.

Every change to the task graph writes an event in the same transaction, so the last event's sequence number is a
version of the whole graph: an answer computed at version N is still right while the log is at N. A read asks the
store for that number (one indexed ``MAX``), and serves the kept bytes when it has not moved. Readiness also changes
with time alone (a claim's lease runs out without an event), so entries also expire after ``ttl`` seconds.

The version is also the answer's ETag (``W/"<seq>-<key hash>"``), so a client that polls with ``If-None-Match`` gets
``304 Not Modified`` and no body while nothing changed.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response


class VersionedCache:
    def __init__(self, maxsize: int = 512, clock: Callable[[], float] = time.monotonic) -> None:
        self.maxsize, self.clock = maxsize, clock
        self._items: OrderedDict[str, tuple[int, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str, version: int, ttl: float) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != version or self.clock() - item[1] > ttl:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[2]

    def put(self, key: str, version: int, body: bytes) -> None:
        with self._lock:
            self._items[key] = (version, self.clock(), body)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


def cached_json(request: Request, cache: VersionedCache, version: int, build: Callable[[], Any], *, ttl: float) -> Response:
    """``build()`` rendered as JSON, or the bytes kept for this URL at this version; 304 when the client has them."""
    key = f"{request.url.path}?{request.url.query}"
    etag = f'W/"{version}-{zlib.crc32(key.encode()):08x}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    body = cache.get(key, version, ttl)
    if body is None:
        body = json.dumps(build(), separators=(",", ":"), default=str).encode()
        cache.put(key, version, body)
    return Response(body, media_type="application/json", headers=headers)
