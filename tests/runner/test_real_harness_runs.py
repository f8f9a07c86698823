"""`overseer run --once` driving the real Claude Code CLI against the scripted model server: three tasks pinned to a
claude-code profile end as three succeeded runs with three commits on their run branches (the runtime's 'done when')."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from overseer.agents.registry import find_binary, get_harness
from overseer.modelserver import HttpError, Script, ScriptedModelServer, WriteFile
from tests.runner.conftest import git

ROOT = Path(__file__).resolve().parents[2]
BIN_DIRS = [ROOT / ".tools" / "bin", ROOT / ".tools" / "node_modules" / ".bin"]
OVERSEER = Path(sys.executable).parent / "overseer"
SECRET = "sk-ant-test-0123456789abcdef"

needs_claude = pytest.mark.skipif(
    find_binary(get_harness("claude-code"), BIN_DIRS) is None,
    reason="LOUD SKIP: the real Claude Code CLI is not installed in .tools (scripts/install-harnesses.sh, run by `make test`)",
)


def overseer(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(repo.parent), "OVERSEER_E2E_KEY": SECRET, "OVERSEER_ACTOR": "e2e"}
    return subprocess.run([str(OVERSEER), *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def claude_profile(server: ScriptedModelServer, **extra: object) -> dict[str, object]:
    return {"harness": "claude-code", "model": "claude-sonnet-4-5", "env": {"ANTHROPIC_API_KEY": "${OVERSEER_E2E_KEY}"},
            "options": {"base_url": server.base_url}, "stall_seconds": 120, "wall_seconds": 300, **extra}


@needs_claude
def test_three_tasks_pinned_to_claude_code_end_as_three_commits_on_their_run_branches(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    files = {"alpha.txt": "alpha\n", "beta.txt": "beta\n", "gamma.txt": "gamma\n"}
    script = Script(final_text="Done, and committed.")
    for name, content in files.items():
        script.add(WriteFile(name, content), when=f"create {name}")
    with ScriptedModelServer(script, log_path=tmp_path / "requests.jsonl") as server:
        repo = make_repo({"claude": claude_profile(server)})
        for name in files:
            assert overseer(repo, "task", "add", f"Add {name}", "-b", f"Please create {name}.", "--profile", "claude").returncode == 0
        done = overseer(repo, "run", "--once", "--json")
        assert done.returncode == 0, done.stderr
    runs = json.loads(overseer(repo, "runs", "--json").stdout)
    assert len(runs) == 3 and {r["status"] for r in runs} == {"succeeded"}
    for run in runs:
        assert run["branch"] == f"overseer/run/{run['id']}" and run["head_commit"] and run["tokens_in"] > 0
        changed = git(repo, "diff", "--name-only", f"{run['base_commit']}..{run['branch']}").split()
        assert len(changed) == 1 and git(repo, "show", f"{run['branch']}:{changed[0]}") == files[changed[0]]
        logs = overseer(repo, "logs", run["id"]).stdout
        assert '"type":"result"' in logs.replace(" ", "") and SECRET not in logs
    sent = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    assert sent and all(SECRET not in json.dumps(r) for r in sent)  # the log itself strips credentials


@needs_claude
def test_a_429_from_the_provider_ends_the_run_as_rate_limited_and_requeues_the_task(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    script = Script().add(HttpError.rate_limited(reset_in=60), times=None)
    with ScriptedModelServer(script) as server:
        repo = make_repo({"claude": claude_profile(server)})
        overseer(repo, "task", "add", "Add x", "--profile", "claude", "--max-attempts", "1")
        out = overseer(repo, "run", "--once", "--json")
        assert out.returncode == 0, out.stderr
        finished = json.loads(out.stdout)["finished"]
        # a rate limit is not the task's fault: it goes back to the queue, and --once ends when only it is left
        assert finished[0]["exit_reason"] == "rate_limited" and finished[0]["status"] == "failed"
    task = json.loads(overseer(repo, "task", "list", "--json").stdout)[0]
    assert task["status"] == "open" and task["attempts"] == 1


REAL_HARNESSES = ["claude-code", "codex", "gemini", "opencode", "aider", "mini-swe-agent"]


@pytest.mark.parametrize("name", REAL_HARNESSES)
def test_each_real_harness_makes_a_change_in_a_worktree_that_overseer_commits(
    name: str, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    from tests.agents.live import CONTENT, MODELS, base_options, binary_of, default_script, mini_script

    harness = get_harness(name)
    if binary_of(harness) is None:
        pytest.skip(f"LOUD SKIP: {harness.binary} is not installed in .tools (scripts/install-harnesses.sh, run by `make test`)")
    script = mini_script() if name == "mini-swe-agent" else default_script()
    with ScriptedModelServer(script) as server:
        credentials = {cred: "${OVERSEER_E2E_KEY}" for cred in get_harness(name, base_options(name, server)).credential_env[:1]}
        profile = {"harness": name, "model": MODELS[name], "env": credentials, "options": base_options(name, server),
                   "stall_seconds": 120, "wall_seconds": 300}
        repo = make_repo({"agent": profile})
        overseer(repo, "task", "add", "Create hello.txt", "-b", "Create hello.txt", "--max-attempts", "1")
        done = overseer(repo, "run", "--once", "--json")
        assert done.returncode == 0, done.stderr
    [run] = json.loads(overseer(repo, "runs", "--json").stdout)
    log = overseer(repo, "logs", run["id"]).stdout
    assert run["status"] == "succeeded", f"{run}\n{log[-3000:]}"
    assert git(repo, "show", f"{run['branch']}:hello.txt") == CONTENT
    assert run["head_commit"] and run["head_commit"] != run["base_commit"] and dict(run["diff_stat"])["files"] >= 1
    assert SECRET not in log
