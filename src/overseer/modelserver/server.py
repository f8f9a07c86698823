"""The scripted model server: one HTTP server on 127.0.0.1 speaking four provider APIs from one ``Script``.

    with ScriptedModelServer(Script(path="hello.txt", content="hi\\n"), log_path=tmp / "requests.jsonl") as srv:
        run_harness(base_url=srv.base_url)          # Anthropic: srv.base_url; OpenAI: srv.base_url + "/v1"
        assert srv.requests_to("/v1/messages")[-1].body["stream"] is True

Routes: ``HEAD|GET /``; ``POST /v1/messages`` (+ ``/count_tokens``); ``POST /v1/chat/completions``;
``POST /v1/responses``; ``GET /v1/models``; ``POST /v1beta/models/<m>:generateContent|streamGenerateContent|
countTokens``. The OpenAI routes also answer without the ``/v1`` prefix. Every request is logged (auth headers
and ``key=`` removed) in memory and, with ``log_path``, as one JSON line per request.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from overseer.modelserver import anthropic, gemini, openai_chat, openai_responses, wire
from overseer.modelserver.script import Script

__all__ = ["LoggedRequest", "ScriptedModelServer"]

Handler = Callable[[wire.Request, Script], wire.Response]
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"})
SECRET_QUERY = frozenset({"key", "api_key"})


def _root(request: wire.Request, script: Script) -> wire.Response:
    return wire.json_response({"ok": True, "server": "overseer scripted model server"}, summary="probe")


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("HEAD", re.compile(r"^/$"), _root),
    ("GET", re.compile(r"^/$"), _root),
    ("POST", re.compile(r"^/v1/messages$"), anthropic.messages),
    ("POST", re.compile(r"^/v1/messages/count_tokens$"), anthropic.count_tokens),
    ("POST", re.compile(r"^(/v1)?/chat/completions$"), openai_chat.completions),
    ("GET", re.compile(r"^(/v1)?/models$"), openai_chat.models),
    ("POST", re.compile(r"^(/v1)?/responses$"), openai_responses.responses),
    ("POST", gemini.PATH, gemini.models_call),
]


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the harness sent it, and what the server answered (``status``, ``reply`` summary)."""

    time: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int
    reply: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class ScriptedModelServer:
    """Serve ``script`` on ``host:port`` (port 0: a free one) in a background thread; a context manager."""

    def __init__(self, script: Script | None = None, *, host: str = "127.0.0.1", port: int = 0, log_path: str | Path | None = None) -> None:
        self.script = script if script is not None else Script()
        self.host = host
        self.log_path = Path(log_path) if log_path is not None else None
        self._requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), _RequestHandler, self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — no trailing slash, no ``/v1``."""
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_prefix: str, method: str = "POST") -> list[LoggedRequest]:
        """The requests with ``method`` whose path starts with ``path_prefix``."""
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def start(self) -> ScriptedModelServer:
        if self._thread is None:
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                self.log_path.touch()
            serve = self._httpd.serve_forever
            self._thread = threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, name=f"modelserver:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for ``python -m overseer.modelserver``)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()

    def handle(self, request: wire.Request) -> wire.Response:
        """Route ``request`` to its API and log it with the answer."""
        response = self._dispatch(request)
        self._log(request, response)
        return response

    def _dispatch(self, request: wire.Request) -> wire.Response:
        known = [(m, p, h) for m, p, h in ROUTES if p.match(request.path)]
        handler = next((h for m, _, h in known if m == request.method), None)
        if handler is None:
            status = 405 if known else 404
            message = f"{request.method} {request.path} is not served here; routes: " + ", ".join(f"{m} {p.pattern}" for m, p, _ in ROUTES)
            return wire.json_response({"error": {"message": message, "type": "not_found"}}, status=status, summary="no route")
        try:
            return handler(request, self.script)
        except Exception as exc:  # a bug here must reach the test as a 500 with the reason, not hang the harness
            failure = {"error": {"message": f"scripted model server failed: {exc!r}"}}
            return wire.json_response(failure, status=500, summary=f"crash {exc!r}")

    def _log(self, request: wire.Request, response: wire.Response) -> None:
        headers = {k: v for k, v in request.headers.items() if k not in SECRET_HEADERS}
        query = {k: v for k, v in request.query.items() if k not in SECRET_QUERY}
        path = request.path + (f"?{urlencode(query)}" if query else "")
        entry = LoggedRequest(time.time(), request.method, path, query, headers, request.body, response.status, response.summary)
        with self._lock:
            self._requests.append(entry)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(entry.to_json() + "\n")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: ScriptedModelServer) -> None:
        self.app = app
        super().__init__(address, handler)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # the request log is the record; keep stderr quiet
        return

    def _serve(self, with_body: bool = True) -> None:
        request = wire.Request.parse(self.command, self.path, dict(self.headers.items()), self._read_body())
        response = self.server.app.handle(request)
        self.send_response(response.status)
        self.send_header("content-type", response.content_type)
        self.send_header("content-length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body and response.body:
            self.wfile.write(response.body)
        self.wfile.flush()

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        else:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.headers.get("content-encoding", "").lower() == "gzip":
            with contextlib.suppress(OSError, EOFError):  # a bad gzip body is logged as sent
                raw = gzip.decompress(raw)
        return raw

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
