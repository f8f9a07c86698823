"""Running a real harness the way Overseer will: the adapter builds the invocation, a subprocess runs it against
the scripted model server, the adapter's parser reads its output. Shared by the live tests and ``record.py``.

The binaries live in ``<repo>/.tools`` (git-ignored); ``scripts/install-harnesses.sh`` installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overseer.agents.registry import find_binary, get_harness
from overseer.domain.runs import AgentEvent
from overseer.modelserver import HttpError, Script, ScriptedModelServer, ToolCall
from overseer.modelserver.tools import shell_write_command
from overseer.ports import Harness, Invocation, RunSpec

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
BIN_DIRS = (TOOLS / "bin", TOOLS / "node_modules" / ".bin")
INSTALL = "scripts/install-harnesses.sh"
TINY_AGENT = Path(__file__).resolve().parent / "tiny_agent.py"
TIMEOUT = 180
PROMPT = "Create hello.txt"
CONTENT = "hello from the scripted model\nsecond line with 'quotes' and $dollars\n"
FINAL = "Wrote hello.txt."

# the API root each harness is pointed at: Anthropic and Gemini take the bare server, OpenAI-style ones /v1
ANTHROPIC_STYLE = ("claude-code", "gemini")
MODELS = {
    "claude-code": "claude-sonnet-4-5",
    "codex": "gpt-5",
    "gemini": "gemini-2.5-flash",
    "opencode": "gpt-4o-mini",
    "aider": "gpt-4o-mini",
    "mini-swe-agent": "gpt-4o-mini",
    "command": "scripted-model",
}


def default_script() -> Script:
    return Script(path="hello.txt", content=CONTENT, final_text=FINAL)


def mini_script() -> Script:
    """mini-swe-agent offers only ``bash`` and stops when the model runs the submit command."""
    script = Script(path="hello.txt", content=CONTENT, final_text=FINAL)
    script.add(ToolCall("bash", {"command": shell_write_command("hello.txt", CONTENT)}, text="I will create hello.txt."))
    return script.add(ToolCall("bash", {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"}, text=FINAL))


def failing(reply: HttpError) -> Callable[[], Script]:
    return lambda: Script().add(reply, times=None)


@dataclass(frozen=True)
class Scenario:
    harness: str
    script: Callable[[], Script] = default_script
    options: Mapping[str, Any] = field(default_factory=dict)
    max_turns: int | None = None


def base_options(harness: str, server: ScriptedModelServer) -> dict[str, Any]:
    if harness == "command":
        return {"command": [sys.executable, str(TINY_AGENT), "--task", "{prompt}", "--workdir", "{workdir}", "--model", "{model}"]}
    url = server.base_url if harness in ANTHROPIC_STYLE else server.base_url + "/v1"
    options: dict[str, Any] = {"base_url": url}
    if harness == "aider":
        options["edit_format"] = "whole"  # the scripted model answers aider in whole-file format
    return options


@dataclass
class Outcome:
    invocation: Invocation
    returncode: int
    stdout: str
    stderr: str
    events: list[AgentEvent]
    server: ScriptedModelServer

    def explain(self) -> str:
        return f"exit {self.returncode}\n--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"


def binary_of(harness: Harness) -> Path | None:
    """The harness's binary in ``.tools`` only: the live tests run the pinned versions, never whatever is on PATH."""
    if harness.name == "command":
        return Path(sys.executable)
    for folder in BIN_DIRS:
        found = find_binary(harness.binary, [folder])
        if found is not None and found.parent == folder:
            return found
    return None


@contextmanager
def scratch_home() -> Iterator[Path]:
    """A run home under ``.tools/tmp``: Codex warns when CODEX_HOME is under /tmp."""
    (TOOLS / "tmp").mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="home-", dir=TOOLS / "tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "README.md").write_text("# scratch\n")
    git = ["git", "-c", "user.name=Overseer Test", "-c", "user.email=test@overseer.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=path, check=True)
    subprocess.run([*git, "add", "README.md"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=path, check=True)
    return path


def run_scenario(scenario: Scenario, repo: Path, home: Path, tmp: Path, binary: Path) -> Outcome:
    """Build with the adapter, write its files, run it (stdin closed) and parse its stdout line by line."""
    with ScriptedModelServer(scenario.script(), log_path=tmp / "requests.jsonl") as server:
        options = {**base_options(scenario.harness, server), **scenario.options}
        harness = get_harness(scenario.harness, profile_options=options)
        env = {"OPENAI_BASE_URL": server.base_url + "/v1"} if scenario.harness == "command" else {}
        spec = RunSpec("run-1", PROMPT, repo, home, model=MODELS[scenario.harness], env=env, max_turns=scenario.max_turns)
        invocation = harness.build(spec)
        for path, text in invocation.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        credentials = {name: "dummy-key" for name in harness.credential_env[:1]}
        base = {"PATH": f"{binary.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}", "LANG": "C.UTF-8", "TMPDIR": str(tmp)}
        argv = [str(binary), *invocation.argv[1:]]
        proc = subprocess.run(
            argv, cwd=repo, env=base | dict(invocation.env) | credentials, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
        )
        stdout, stderr = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        parser = harness.parser()
        events = [event for line in stdout.splitlines() for event in parser.feed(line)]
        events += parser.finish(proc.returncode)
        return Outcome(invocation, proc.returncode, stdout, stderr, events, server)
