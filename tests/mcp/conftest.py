"""The MCP server over a real project: a git repository, ``overseer init``'s SQLite store, and one profile (``mini``, provider
``local``) whose direct calls go to a scripted model server as ``gpt-4o-mini``. The only fake is the model, behind HTTP.

``call(server, tool, arguments)`` drives the server with the SDK's in-process client; the subprocess tests start
``overseer mcp`` from the venv, and the CLI tests the pinned clients in ``.tools/bin`` (``scripts/install-harnesses.sh
npm``): a missing one skips loudly, and fails under CI.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, Implementation

from overseer.bootstrap import open_supervisor
from overseer.mcp import build_server
from overseer.modelserver import Script, ScriptedModelServer
from overseer.service import Supervisor
from tests.api.conftest import make_repo

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "bin"
INSTALL = "scripts/install-harnesses.sh npm"
OVERSEER = Path(sys.executable).parent / "overseer"  # the venv's console script, beside its python
CLIENT = Implementation(name="test-agent", version="1.0")
TOOLS = {"task_create", "task_ready", "task_claim", "task_update", "task_show", "plan_request", "approve", "quota_status", "ask_model",
         "list_models", "skill_review", "skill_debug", "skill_spec", "skill_tdd", "skill_retrospective", "brain_write", "brain_query"}
CHAT = "/v1/chat/completions"


def tool_binary(name: str) -> Path:
    """A pinned client from ``.tools/bin``; missing: skip saying how to install it, or fail when ``CI`` is set."""
    path = TOOLS_BIN / name
    if not path.exists():
        message = f"CLIENT NOT INSTALLED: {path} is missing, so this end-to-end MCP test did not run. Install it: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def project_config(model_url: str) -> dict[str, Any]:
    mini = {"harness": "command", "command": ["true"], "provider": "local", "model": "gpt-4o-mini",
            "options": {"litellm_model": "openai/gpt-4o-mini", "api_base": model_url + "/v1", "env_key": "TEST_KEY"}}
    return {"profiles": {"mini": mini},
            "providers": {"local": {"kind": "api", "pool": 2, "windows": [{"limit": 100, "unit": "requests", "length": "5h"}]}},
            "routing": {"rules": [{"chain": ["mini"]}]}}


@pytest.fixture
def models() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script(final_text="Done.")) as srv:
        yield srv


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: ScriptedModelServer) -> Path:
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    monkeypatch.setenv("TEST_KEY", "sk-test")
    repo = make_repo(tmp_path / "repo")
    (repo / "overseer.yaml").write_text(json.dumps(project_config(models.base_url)))
    return repo


@pytest.fixture
def sup(project: Path) -> Iterator[Supervisor]:
    opened = open_supervisor(project)
    yield opened
    opened.close()


@pytest.fixture
def server(sup: Supervisor) -> MCPServer:
    return build_server(sup)


def call(server: MCPServer, tool: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
    """One tool call through the SDK's in-process client (a fresh connection, as ``test-agent``)."""

    async def main() -> CallToolResult:
        async with Client(server, client_info=CLIENT) as client:
            return await client.call_tool(tool, arguments or {})

    return anyio.run(main)


def ok(server: MCPServer, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    """The structured result of a call that must succeed; it must say the same in its text."""
    result = call(server, tool, arguments)
    text = result.content[0].text if result.content and result.content[0].type == "text" else ""
    assert not result.is_error, text
    assert result.structured_content is not None and json.loads(text) == result.structured_content
    return result.structured_content


def refused(server: MCPServer, tool: str, arguments: dict[str, Any] | None = None) -> str:
    """The error text of a call that must be refused as a tool error (an error result, not a protocol failure)."""
    result = call(server, tool, arguments)
    assert result.is_error, result.structured_content
    assert result.content and result.content[0].type == "text"
    return result.content[0].text
