"""Real MCP clients against ``overseer mcp``: mcporter's CLI (``list``, ``call``) and Claude Code (``--mcp-config``) with
the scripted model server as its model. Each starts ``overseer mcp --repo REPO`` itself, as a user's set-up would."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from overseer.modelserver import Script, ScriptedModelServer, ToolCall
from overseer.service import Supervisor
from tests.mcp.conftest import OVERSEER, TOOLS, tool_binary

TIMEOUT = 120


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    return subprocess.run(argv, cwd=cwd, env=base | env, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A scratch HOME: no user-level MCP configs (mcporter imports editors' ones) or Claude Code settings leak in."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def server_entry(project: Path) -> dict[str, Any]:
    return {"command": str(OVERSEER), "args": ["mcp", "--repo", str(project)]}


# -- mcporter -----------------------------------------------------------------------------------------------
def test_mcporter_list_over_stdio_shows_every_tool_with_its_description_and_schema(project: Path, home: Path) -> None:
    mcporter = tool_binary("mcporter")
    proc = run([str(mcporter), "list", "--stdio", f"{OVERSEER} mcp --repo {project}", "--json"], project, {"HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert listed["status"] == "ok"
    tools = {t["name"]: t for t in listed["tools"]}
    assert set(tools) == TOOLS
    assert tools["ask_model"]["inputSchema"]["required"] == ["model", "prompt"]
    assert "Use this" in tools["brain_query"]["description"]


def test_mcporter_call_creates_a_task_in_the_store_and_a_refusal_exits_1_with_the_error(project: Path, home: Path,
                                                                                        sup: Supervisor) -> None:
    mcporter = tool_binary("mcporter")
    config = project / "mcporter.json"
    config.write_text(json.dumps({"mcpServers": {"overseer": server_entry(project)}}))
    argv = [str(mcporter), "--config", str(config), "call"]
    created = run([*argv, "overseer.task_create", "title:Filed by mcporter", "priority:1", 'labels:["cli"]', "--output", "json"],
                  project, {"HOME": str(home)})
    assert created.returncode == 0, created.stderr
    task = sup.get(json.loads(created.stdout)["id"])
    assert (task.title, task.priority, task.labels) == ("Filed by mcporter", 1, ("cli",))
    assert sup.events(task_id=task.id)[0].actor == "mcp:mcporter"

    missing = run([*argv, "overseer.task_show", "task_id:ov-none", "--output", "json"], project, {"HOME": str(home)})
    assert missing.returncode == 1
    answer = json.loads(missing.stdout)
    assert answer["isError"] is True and "TaskNotFound: no task with id 'ov-none'" in answer["content"][0]["text"]


# -- Claude Code ----------------------------------------------------------------------------------------------
def test_claude_code_calls_task_create_through_its_mcp_config_and_gets_the_result_back(project: Path, home: Path, tmp_path: Path,
                                                                                      sup: Supervisor) -> None:
    claude = tool_binary("claude")
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"overseer": server_entry(project)}}))
    call = ToolCall("mcp__overseer__task_create", {"title": "Fix the flaky login test", "priority": "high", "labels": ["tests"]},
                    text="I will file it.")
    script = Script(final_text="Filed the task.").add(call, when="File a task")
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as models:
        env = {"HOME": str(home), "ANTHROPIC_BASE_URL": models.base_url, "ANTHROPIC_API_KEY": "dummy", "IS_SANDBOX": "1",
               "DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "CLAUDE_CODE_MAX_RETRIES": "0",
               "MCP_CONNECTION_NONBLOCKING": "false"}  # wait for the server before the first turn, so its tools are offered
        proc = run([str(claude), "-p", "File a task for the flaky login test", "--output-format", "stream-json", "--verbose",
                    "--mcp-config", str(config), "--strict-mcp-config", "--dangerously-skip-permissions"], project, env)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, proc.stderr + proc.stdout[-3000:]
    init, result = lines[0], lines[-1]
    assert init["mcp_servers"] == [{"name": "overseer", "status": "connected"}]
    assert {f"mcp__overseer__{name}" for name in TOOLS} <= set(init["tools"])
    assert (result["type"], result["is_error"], result["result"]) == ("result", False, "Filed the task.")

    [task] = sup.list_tasks()
    assert (task.title, task.priority, task.labels) == ("Fix the flaky login test", 1, ("tests",))
    assert sup.events(task_id=task.id)[0].actor == "mcp:claude-code"
    first, second = models.requests_to("/v1/messages")
    assert first.reply == "tool_use mcp__overseer__task_create" and second.reply == "text"
    assert "mcp__overseer__task_create" in {t["name"] for t in first.body["tools"]}
    [back] = second.body["messages"][-1]["content"]
    assert back["type"] == "tool_result" and not back.get("is_error")
    assert json.loads(back["content"] if isinstance(back["content"], str) else back["content"][0]["text"])["id"] == task.id


def test_a_missing_client_skips_saying_how_to_install_it_but_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"CLIENT NOT INSTALLED: .*no-such-client is missing"):
        tool_binary("no-such-client")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"Install it: scripts/install-harnesses\.sh npm"):
        tool_binary("no-such-client")
