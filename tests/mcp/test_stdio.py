"""``overseer mcp`` as a real subprocess: the SDK's stdio client drives it, and stdout carries protocol messages only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from overseer.modelserver import HttpError, ScriptedModelServer, Text
from overseer.service import Supervisor
from tests.mcp.conftest import CLIENT, OVERSEER, TOOLS

TIMEOUT = 60


def test_the_stdio_server_serves_the_sdk_client_and_writes_to_the_project_store(project: Path, sup: Supervisor) -> None:
    params = StdioServerParameters(command=str(OVERSEER), args=["mcp", "--repo", str(project)])

    async def main() -> tuple[set[str], Any, Any]:
        with anyio.fail_after(TIMEOUT):
            async with Client(params, client_info=CLIENT) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                created = await client.call_tool("task_create", {"title": "Filed over stdio", "priority": "low"})
                missing = await client.call_tool("task_show", {"task_id": "ov-none"})
                return names, created, missing

    names, created, missing = anyio.run(main)
    assert names == TOOLS
    assert not created.is_error and created.structured_content["title"] == "Filed over stdio"
    task = sup.get(created.structured_content["id"])
    assert (task.title, task.priority) == ("Filed over stdio", 3)
    assert sup.events(task_id=task.id)[0].actor == "mcp:test-agent"
    assert missing.is_error and "TaskNotFound: no task with id 'ov-none'" in missing.content[0].text


def _send(proc: subprocess.Popen[str], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()


def _answer(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "the server closed stdout"
    return json.loads(line)  # a line that is not JSON (a stray print, a log) fails here


def test_stdout_carries_only_json_rpc_while_logs_and_errors_go_to_stderr(project: Path, models: ScriptedModelServer) -> None:
    models.script.add(HttpError.server_error(), when="fail now").add(Text("Here."), when="answer now")
    proc = subprocess.Popen([str(OVERSEER), "mcp", "--repo", str(project)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=project)
    try:
        _send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                     "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
        init = _answer(proc)
        assert init["id"] == 1 and init["result"]["serverInfo"]["name"] == "overseer"
        _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "ask_model",
                                                                                 "arguments": {"model": "nope", "prompt": "hi"}}})
        refused = _answer(proc)
        assert refused["id"] == 2 and refused["result"]["isError"] is True
        assert "ValidationError: model: 'nope' is neither a profile" in refused["result"]["content"][0]["text"]
        _send(proc, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "brain_query", "arguments": {"query": "(*"}}})
        assert _answer(proc)["result"]["structuredContent"] == {"query": "(*", "count": 0, "entries": []}
        for n, prompt in ((5, "fail now"), (6, "answer now")):  # LiteLLM's own chatter on a failure must not reach stdout either
            _send(proc, {"jsonrpc": "2.0", "id": n, "method": "tools/call",
                         "params": {"name": "ask_model", "arguments": {"model": "mini", "prompt": prompt}}})
        answers = {a["id"]: a for a in (_answer(proc), _answer(proc))}  # the calls run concurrently: either may end first
        failed, answered = answers[5], answers[6]
        assert failed["result"]["isError"] and "ModelError" in failed["result"]["content"][0]["text"]
        assert answered["result"]["structuredContent"]["text"] == "Here."
        _send(proc, {"jsonrpc": "2.0", "id": 4, "method": "no/such/method"})
        assert _answer(proc)["error"]["code"] == -32601
        out, err = proc.communicate(timeout=TIMEOUT)  # closing stdin ends the server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == ""  # nothing followed the answers


def test_overseer_mcp_with_a_broken_config_says_where_on_stderr_and_prints_nothing_on_stdout(project: Path) -> None:
    (project / "overseer.yaml").write_text("profiles:\n  mini:\n    harness: [unclosed\n")
    proc = subprocess.run([str(OVERSEER), "mcp", "--repo", str(project)], capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL, cwd=project)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "error:" in proc.stderr and "overseer.yaml" in proc.stderr
