"""MCP over streamable HTTP at ``/mcp`` of a real ``overseer serve`` server (uvicorn on a free port, no agents, no auditor),
behind the API's token guard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from overseer.api import ApiSettings, AppContext, Auth
from overseer.server import build_app
from overseer.service import Supervisor
from tests.mcp.conftest import CLIENT, TOOLS
from tests.web.live import LiveServer

TOKEN = "mcp-test-token-0123456789"
ACCEPT = {"Accept": "application/json, text/event-stream"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}


@pytest.fixture
def live(project: Path) -> Iterator[LiveServer]:
    with LiveServer(project, TOKEN) as server:
        yield server


def test_the_sdk_http_client_with_the_token_lists_the_tools_and_creates_a_task(live: LiveServer) -> None:
    async def main() -> tuple[set[str], Any]:
        with anyio.fail_after(60):
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http, \
                    Client(streamable_http_client(f"{live.url}/mcp", http_client=http), client_info=CLIENT) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                return names, await client.call_tool("task_create", {"title": "Filed over HTTP", "labels": ["web"]})

    names, created = anyio.run(main)
    assert names == TOOLS
    assert not created.is_error
    task = live.sup.get(created.structured_content["id"])
    assert (task.title, task.labels) == ("Filed over HTTP", ("web",))
    assert live.sup.events(task_id=task.id)[0].actor == "mcp:test-agent"


def test_posting_to_mcp_without_the_token_or_with_a_wrong_one_is_401_and_changes_nothing(live: LiveServer) -> None:
    create = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "task_create", "arguments": {"title": "sneaky"}}}
    for headers in ({}, {"Authorization": "Bearer wrong-token"}):
        for message in (INITIALIZE, create):
            response = httpx.post(f"{live.url}/mcp", json=message, headers={**ACCEPT, **headers}, timeout=30)
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == 'Bearer realm="overseer"'
            assert "Authorization: Bearer <token>" in response.json()["detail"]
    assert live.sup.list_tasks() == []
    allowed = httpx.post(f"{live.url}/mcp", json=INITIALIZE, headers={**ACCEPT, "Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert allowed.status_code == 200 and allowed.headers["mcp-session-id"]


def test_the_endpoint_starts_afresh_with_each_lifespan_of_the_app_and_is_503_outside_one(sup: Supervisor) -> None:
    app = build_app(AppContext(sup, Auth(TOKEN), ApiSettings()))
    headers = {**ACCEPT, "Authorization": f"Bearer {TOKEN}"}
    for _ in range(2):  # the SDK's session manager runs once per instance: a second start needs a new one
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            response = client.post("/mcp", json=INITIALIZE, headers=headers)
            assert response.status_code == 200 and response.headers["mcp-session-id"], response.text
            assert client.get("/api/v1/healthz").status_code == 200  # the API's own lifespan still runs
    stopped = TestClient(app, base_url="http://127.0.0.1:8765").post("/mcp", json=INITIALIZE, headers=headers)
    assert stopped.status_code == 503 and "not running" in stopped.json()["detail"]


def test_a_request_naming_another_host_is_refused_by_the_dns_rebinding_check(live: LiveServer) -> None:
    response = httpx.post(f"{live.url}/mcp", json=INITIALIZE, timeout=30,
                          headers={**ACCEPT, "Authorization": f"Bearer {TOKEN}", "Host": "evil.example:80"})
    assert (response.status_code, response.text) == (421, "Invalid Host header")
