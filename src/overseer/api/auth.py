"""The API token, and the one ASGI middleware that guards every request: body size, token, CSRF.

* The token comes from ``$OVERSEER_API_TOKEN``, else ``.overseer/api_token`` (generated on first use, mode 0600; the
  server prints it once, when it was generated).
* Mutating calls (anything but GET, HEAD, OPTIONS) always need it; reads need it too when the server is bound to
  anything but loopback. ``/api/v1/healthz`` and ``/login`` are always open.
* API clients send ``Authorization: Bearer <token>`` (or ``X-Overseer-Token``). A browser signs in once at
  ``/login?token=…``, which sets an HttpOnly, SameSite=Strict cookie; a mutating request that rides on that cookie must
  also carry the CSRF token (``X-CSRF-Token`` header, or a ``csrf`` field in a form), which pages embed. A cookie alone
  never changes anything, so another site cannot submit a form in the user's name.
* Bodies over ``max_body_bytes`` are refused with 413 before they are read whole, chunked ones included.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_ENV = "OVERSEER_API_TOKEN"
TOKEN_FILE = "api_token"
COOKIE = "overseer_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS = frozenset({"/api/v1/healthz", "/login", "/favicon.ico"})


def load_token(state_dir: Path) -> tuple[str, bool]:
    """(token, generated now). The environment wins; else the file, created with a fresh token when missing."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env, False
    path = state_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token, False
    state_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token, True


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Auth:
    token: str
    reads_need_token: bool = False

    @property
    def csrf(self) -> str:
        """Derived from the token: pages embed it, forms send it back; it is useless without the session cookie."""
        return hmac.new(self.token.encode(), b"overseer-csrf", hashlib.sha256).hexdigest()

    def valid(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())  # type: ignore[union-attr]

    def csrf_valid(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())  # type: ignore[union-attr]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _bearer(headers: dict[str, str], scope: Scope) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return str(auth[7:].strip())
    if "x-overseer-token" in headers:
        return headers["x-overseer-token"].strip()
    if scope.get("method") in SAFE_METHODS:  # EventSource cannot set headers: reads may name the token in the query
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return str(query["token"][0])
    return None


async def _send_problem(send: Send, status: int, title: str, detail: str, instance: str) -> None:
    body = json.dumps({"type": f"about:blank#{status}", "title": title, "status": status, "detail": detail,
                       "instance": instance}).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="overseer"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Body size, then token, then CSRF: in that order, before any route runs, so a refusal changes nothing."""

    def __init__(self, app: ASGIApp, auth: Auth, max_body_bytes: int) -> None:
        self.app, self.auth, self.max_body_bytes = app, auth, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        headers = _headers(scope)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await _send_problem(send, 413, "Payload too large", f"the body is over {self.max_body_bytes} bytes", path)
            return
        mutating = method not in SAFE_METHODS
        if path in OPEN_PATHS or not (mutating or self.auth.reads_need_token):
            await self.app(scope, self._limited(receive, send, path), send)
            return
        if self.auth.valid(_bearer(headers, scope)):
            await self.app(scope, self._limited(receive, send, path), send)
            return
        if not self.auth.valid(_cookie(headers, COOKIE)):
            await _send_problem(send, 401, "Unauthorized", "a valid token is needed: send 'Authorization: Bearer <token>' "
                                "(the token is in $OVERSEER_API_TOKEN or .overseer/api_token)", path)
            return
        if not mutating:
            await self.app(scope, self._limited(receive, send, path), send)
            return
        if self.auth.csrf_valid(headers.get(CSRF_HEADER)):
            await self.app(scope, self._limited(receive, send, path), send)
            return
        # A form post: read the (size-limited) body, look for the csrf field, then hand the same bytes on.
        body = await self._read_all(receive)
        if body is None:
            await _send_problem(send, 413, "Payload too large", f"the body is over {self.max_body_bytes} bytes", path)
            return
        fields = parse_qs(body.decode("utf-8", "replace")) if "urlencoded" in headers.get("content-type", "") else {}
        if not self.auth.csrf_valid((fields.get("csrf") or [""])[0]):
            await _send_problem(send, 403, "Forbidden", "missing or wrong CSRF token: reload the page and try again", path)
            return
        await self.app(scope, _replay(body), send)

    async def _read_all(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _limited(self, receive: Receive, send: Send, path: str) -> Receive:
        """Count chunked bodies as they arrive; past the limit the request ends in 413."""
        seen = 0
        limit = self.max_body_bytes

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return wrapped


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over {limit} bytes")


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def session_cookie(auth: Auth, *, secure: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``Response.set_cookie``: the browser's session after ``/login``."""
    return {"key": COOKIE, "value": auth.token, "httponly": True, "samesite": "strict", "secure": secure, "path": "/"}
