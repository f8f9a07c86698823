"""Fixtures for the scripted model server: a ``script``, the ``server`` serving it, and a plain urllib ``client``.

A test asks for them by name, for example:

def test_something(script, server, client):
    script.add(Text("hi"))
    reply = client.post("/v1/messages", {"model": "m", "messages": [...], "stream": True})
    assert reply.events()[-1][0] == "message_stop"
    assert server.requests_to("/v1/messages")[0].body["model"] == "m"
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from overseer.modelserver import Script, ScriptedModelServer


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[tuple[str | None, Any]]:
        """The SSE events as (event name or None, parsed data; ``[DONE]`` stays a str)."""
        parsed: list[tuple[str | None, Any]] = []
        for block in self.body.decode().split("\n\n"):
            if not block.strip():
                continue
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            data = fields["data"]
            parsed.append((fields.get("event"), data if data == "[DONE]" else json.loads(data)))
        return parsed


class Client:
    """urllib against the server; HTTP errors come back as replies, not exceptions."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> HttpReply:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"content-type": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return HttpReply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return HttpReply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> HttpReply:
        return self.request("POST", path, body, headers)


@pytest.fixture
def script() -> Script:
    return Script(path="hello.txt", content="hello from the script\n", final_text="All done.")


@pytest.fixture
def server(script: Script, tmp_path: Path) -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as srv:
        yield srv


@pytest.fixture
def client(server: ScriptedModelServer) -> Client:
    return Client(server.base_url)
