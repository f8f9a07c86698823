"""A local webhook receiver: a stdlib HTTP server on 127.0.0.1 (a free port) that records every POST.

    with WebhookReceiver() as hook:
        notifier = AppriseNotifier([hook.apprise_url("/hook")], events=["failed"])
        notifier.notify(notice)
        [post] = hook.wait_for(1)
        assert post.json["title"] == notice.title

``status`` is what it answers (500 to play a broken target); ``delay`` holds each answer that many seconds.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any  # the parsed body, None when it was not JSON


class WebhookReceiver:
    def __init__(self, *, status: int = 200, delay: float = 0.0) -> None:
        self.status = status
        self.delay = delay
        self.posts: list[Post] = []
        self._arrived = threading.Condition()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def apprise_url(self, path: str = "/hook") -> str:
        """The receiver as Apprise's JSON webhook (``json://``: a POST of {version, title, message, type})."""
        return f"json://127.0.0.1:{self.port}{path}"

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Post]:
        """The posts once at least ``n`` arrived; AssertionError naming what did arrive after ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.posts) >= n, timeout):
                raise AssertionError(f"expected {n} POST(s) within {timeout}s, got {len(self.posts)}: {self.posts}")
            return list(self.posts)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, post: Post) -> None:
        with self._arrived:
            self.posts.append(post)
            self._arrived.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                receiver._record(Post(self.path, {k.lower(): v for k, v in self.headers.items()}, body, parsed))
                if receiver.delay:
                    receiver._closing.wait(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        return Handler
