"""The real agent CLIs against the scripted model server, offline.

The binaries live in ``<repo>/.tools/node_modules/.bin`` (git-ignored). Install them with

    npm install --prefix .tools @anthropic-ai/claude-code@2.1.197 @openai/codex@0.171.0 @google/gemini-cli@0.61.0

A test skips, loudly, only when its binary is missing there; anything else that goes wrong fails it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from overseer.modelserver import HttpError, Script, ScriptedModelServer
from overseer.modelserver.wire import token_count

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
BIN = TOOLS / "node_modules" / ".bin"
INSTALL = f"npm install --prefix {TOOLS} @anthropic-ai/claude-code@2.1.197 @openai/codex@0.171.0 @google/gemini-cli@0.61.0"
TIMEOUT = 120
CONTENT = "hello from the scripted model\nsecond line with 'quotes' and $dollars\n"


def binary(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"REAL CLI NOT INSTALLED: {path} is missing, so this end-to-end test did not run. Install it: {INSTALL}")
    return path


Outcome = tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]  # the process and its JSON output lines


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> Outcome:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    proc = subprocess.run(argv, cwd=cwd, env=base | env, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc, lines


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    (path / "README.md").write_text("# scratch\n")
    git = ["git", "-c", "user.name=Overseer Test", "-c", "user.email=test@overseer.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=path, check=True)
    subprocess.run([*git, "add", "README.md"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=path, check=True)
    return path


@pytest.fixture
def codex_home() -> Iterator[Path]:
    """Codex warns when CODEX_HOME is under /tmp, so it lives in the git-ignored .tools directory."""
    (TOOLS / "tmp").mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="codex-home-", dir=TOOLS / "tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


# -- Claude Code ------------------------------------------------------------------------------------
def run_claude(server: ScriptedModelServer, repo: Path, home: Path, prompt: str) -> Outcome:
    argv = [str(binary("claude")), "-p", prompt, "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"]
    env = {
        "ANTHROPIC_BASE_URL": server.base_url,
        "ANTHROPIC_API_KEY": "dummy",
        "IS_SANDBOX": "1",
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "HOME": str(home),
    }
    return run(argv, repo, env)


def test_claude_code_writes_the_scripted_file_through_write_and_ends_with_success(repo: Path, tmp_path: Path) -> None:
    binary("claude")
    script = Script(path="hello.txt", content=CONTENT, final_text="Wrote hello.txt.")
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as server:
        proc, lines = run_claude(server, repo, tmp_path / "home", "Create hello.txt")
    result = lines[-1]
    assert proc.returncode == 0, proc.stderr
    assert (repo / "hello.txt").read_text() == CONTENT
    assert (result["type"], result["is_error"], result["result"]) == ("result", False, "Wrote hello.txt.")
    assert next(line["type"] for line in lines) == "system"
    posts = server.requests_to("/v1/messages")
    assert [r.reply for r in posts] == ["tool_use Write", "text"]
    assert all(r.body["stream"] is True and "Write" in {t["name"] for t in r.body["tools"]} for r in posts)
    assert posts[1].body["messages"][-1]["content"][0]["type"] == "tool_result"
    assert result["usage"]["input_tokens"] == sum(token_count(r.body["messages"]) for r in posts)


def test_claude_code_ends_with_is_error_true_when_the_server_answers_429(repo: Path, tmp_path: Path) -> None:
    binary("claude")
    script = Script().add(HttpError.rate_limited(reset_in=30), when="Create hello.txt")
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as server:
        proc, lines = run_claude(server, repo, tmp_path / "home", "Create hello.txt")
    result = lines[-1]
    assert proc.returncode == 1
    assert (result["type"], result["is_error"], result["api_error_status"]) == ("result", True, 429)
    assert "scripted rate limit" in result["result"]
    assert [r.status for r in server.requests_to("/v1/messages")] == [429]  # CLAUDE_CODE_MAX_RETRIES=0: no retry
    assert not (repo / "hello.txt").exists()


# -- Codex ------------------------------------------------------------------------------------------
def run_codex(server: ScriptedModelServer, repo: Path, home: Path, prompt: str) -> Outcome:
    provider = (
        f'model_providers.scripted={{name="scripted",base_url="{server.base_url}/v1",wire_api="responses",'
        'env_key="SCRIPTED_API_KEY",request_max_retries=0,stream_max_retries=0}'
    )
    argv = [str(binary("codex")), "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox"]
    argv += ["-m", "gpt-5", "-c", "model_provider=scripted", "-c", provider, prompt]
    return run(argv, repo, {"CODEX_HOME": str(home), "HOME": str(home), "SCRIPTED_API_KEY": "dummy"})


def test_codex_writes_the_scripted_file_through_exec_command(repo: Path, codex_home: Path, tmp_path: Path) -> None:
    binary("codex")
    script = Script(path="hello.txt", content=CONTENT, final_text="Wrote hello.txt.")
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as server:
        proc, lines = run_codex(server, repo, codex_home, "Create hello.txt")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "hello.txt").read_text() == CONTENT
    items = [line["item"] for line in lines if line["type"] == "item.completed"]
    command = next(i for i in items if i["type"] == "command_execution")
    assert (command["exit_code"], command["status"]) == (0, "completed")
    assert [i["text"] for i in items if i["type"] == "agent_message"] == ["Wrote hello.txt."]
    posts = server.requests_to("/v1/responses")
    assert [r.reply for r in posts] == ["function_call exec_command", "text"]
    assert posts[1].body["input"][-1]["type"] == "function_call_output"
    usage = next(line["usage"] for line in lines if line["type"] == "turn.completed")
    assert usage["input_tokens"] == sum(token_count(r.body["input"]) for r in posts)


def test_codex_fails_the_turn_without_retrying_when_the_server_answers_500(repo: Path, codex_home: Path, tmp_path: Path) -> None:
    binary("codex")
    script = Script().add(HttpError.server_error(), times=None)
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as server:
        proc, lines = run_codex(server, repo, codex_home, "Create hello.txt")
    assert proc.returncode == 1
    assert [line["type"] for line in lines][-1] == "turn.failed"
    assert [r.status for r in server.requests_to("/v1/responses")] == [500]  # request_max_retries=0
    assert not (repo / "hello.txt").exists()


# -- Gemini CLI -------------------------------------------------------------------------------------
def test_gemini_cli_passes_its_router_then_writes_the_scripted_file_through_write_file(repo: Path, tmp_path: Path) -> None:
    gemini = binary("gemini")
    home = tmp_path / "home"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    script = Script(path="hello.txt", content=CONTENT, final_text="Wrote hello.txt.")
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as server:
        env = {
            "HOME": str(home),
            "GEMINI_API_KEY": "dummy",
            "GOOGLE_GEMINI_BASE_URL": server.base_url,
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
        }
        proc, lines = run([str(gemini), "-p", "Create hello.txt", "--output-format", "stream-json", "--yolo"], repo, env)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "hello.txt").read_text() == CONTENT
    assert [line["tool_name"] for line in lines if line["type"] == "tool_use"] == ["write_file"]
    assert [line["status"] for line in lines if line["type"] == "tool_result"] == ["success"]
    assert (lines[-1]["type"], lines[-1]["status"]) == ("result", "success")
    posts = server.requests_to("/v1beta/models/")
    assert [r.reply for r in posts] == ["router", "functionCall write_file", "text"]
    assert all(":streamGenerateContent?alt=sse" in r.path for r in posts[1:])
