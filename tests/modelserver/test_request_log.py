from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from overseer.modelserver import ScriptedModelServer
from tests.modelserver.conftest import Client

SECRET = "sk-very-secret"


def test_every_request_is_logged_in_memory_and_as_one_json_line_each(client: Client, server: ScriptedModelServer, tmp_path: Path) -> None:
    client.request("HEAD", "/")
    client.post("/v1/messages?beta=true", {"model": "claude-test", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    lines = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    assert [(r.method, r.path, r.status) for r in server.requests] == [("HEAD", "/", 200), ("POST", "/v1/messages?beta=true", 200)]
    assert [(line["method"], line["path"], line["status"], line["reply"]) for line in lines] == [
        ("HEAD", "/", 200, "probe"),
        ("POST", "/v1/messages?beta=true", 200, "text"),
    ]
    assert lines[1]["body"]["messages"][0]["content"] == "hi"
    assert lines[1]["headers"]["content-type"] == "application/json"


def test_credentials_never_reach_the_log(client: Client, server: ScriptedModelServer, tmp_path: Path) -> None:
    auth = {"authorization": f"Bearer {SECRET}", "x-api-key": SECRET, "x-goog-api-key": SECRET, "x-harness": "kept"}
    client.post(f"/v1beta/models/g:generateContent?key={SECRET}&alt=json", {"contents": []}, headers=auth)
    [logged] = server.requests
    assert SECRET not in (tmp_path / "requests.jsonl").read_text()
    assert SECRET not in logged.to_json()
    assert logged.headers["x-harness"] == "kept"
    assert (logged.path, logged.query) == ("/v1beta/models/g:generateContent?alt=json", {"alt": "json"})


def test_an_unknown_path_is_a_404_naming_the_routes_and_is_logged(client: Client, server: ScriptedModelServer) -> None:
    reply = client.post("/v2/engines", {"x": 1})
    assert reply.status == 404
    assert "/v1/messages" in reply.json()["error"]["message"]
    assert [(r.path, r.status, r.reply, r.body) for r in server.requests] == [("/v2/engines", 404, "no route", {"x": 1})]


def test_a_known_path_with_the_wrong_method_is_a_405(client: Client) -> None:
    assert client.request("GET", "/v1/messages").status == 405


def test_a_body_that_is_not_json_is_logged_as_text_and_still_answered(client: Client, server: ScriptedModelServer) -> None:
    request = urllib.request.Request(server.base_url + "/v1/chat/completions", data=b"not json", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert server.requests[0].body == "not json"


def test_requests_to_filters_by_method_and_path_prefix(client: Client, server: ScriptedModelServer) -> None:
    client.request("GET", "/v1/models")
    client.post("/v1/chat/completions", {"model": "m", "messages": []})
    assert [r.path for r in server.requests_to("/v1/")] == ["/v1/chat/completions"]
    assert [r.path for r in server.requests_to("/v1/", method="GET")] == ["/v1/models"]
