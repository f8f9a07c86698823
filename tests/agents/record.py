"""Record real harness output against the scripted model server into ``recordings/`` for the parser tests.

    .venv/bin/python -m tests.agents.record                 # every scenario
    .venv/bin/python -m tests.agents.record codex-500 ...   # some

Each scenario runs the pinned CLI from ``.tools`` exactly as the live tests do (the adapter builds the
invocation). Its stdout is saved as ``recordings/NAME.jsonl`` (``.txt`` for plain-text harnesses) with the
scratch paths and the server port replaced by stable ones, and ``recordings/index.json`` keeps each exit code
and the harness version. Re-record after changing a pin, then update the expected events in the tests.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from overseer.agents.registry import get_harness, harness_version
from overseer.modelserver import HttpError
from tests.agents.live import TOOLS, Scenario, binary_of, default_script, failing, make_repo, mini_script, run_scenario

RECORDINGS = Path(__file__).resolve().parent / "recordings"
TEXT_HARNESSES = ("aider", "mini-swe-agent", "command")
STABLE = {"repo": "/work/repo", "home": "/work/home", "tmp": "/work/tmp", "port": "8765"}


SCENARIOS: dict[str, Scenario] = {
    "claude-code-success": Scenario("claude-code"),
    "claude-code-429": Scenario("claude-code", failing(HttpError.rate_limited(reset_in=30))),
    "claude-code-500": Scenario("claude-code", failing(HttpError.server_error())),
    "claude-code-retry": Scenario("claude-code", lambda: default_script().add(HttpError.rate_limited(reset_in=2)), {"max_retries": 1}),
    "claude-code-max-turns": Scenario("claude-code", max_turns=1),
    "codex-success": Scenario("codex"),
    "codex-429": Scenario("codex", failing(HttpError.rate_limited(reset_in=30))),
    "codex-500": Scenario("codex", failing(HttpError.server_error())),
    "gemini-success": Scenario("gemini"),
    "gemini-429": Scenario("gemini", failing(HttpError.rate_limited(reset_in=30))),
    "gemini-500": Scenario("gemini", failing(HttpError.server_error())),
    "gemini-max-turns": Scenario("gemini", max_turns=1),
    "opencode-success": Scenario("opencode"),
    "aider-success": Scenario("aider"),
    "aider-401": Scenario("aider", failing(HttpError(401, "scripted bad key"))),
    "mini-swe-agent-success": Scenario("mini-swe-agent", mini_script),
    "mini-swe-agent-500": Scenario("mini-swe-agent", failing(HttpError.server_error())),
    "command-success": Scenario("command"),
}


def record(name: str, scenario: Scenario, index: dict[str, dict[str, object]]) -> None:
    harness = get_harness(scenario.harness)
    binary = binary_of(harness)
    if binary is None:
        print(f"skip {name}: {harness.binary} is not installed in {TOOLS} (run scripts/install-harnesses.sh)")
        return
    (TOOLS / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="record-", dir=TOOLS / "tmp") as scratch:
        tmp = Path(scratch)
        repo, home = make_repo(tmp / "repo"), tmp / "home"
        home.mkdir()
        outcome = run_scenario(scenario, repo, home, tmp, binary)
        text = outcome.stdout
        for path, stable in ((repo, STABLE["repo"]), (home, STABLE["home"]), (tmp, STABLE["tmp"])):
            text = text.replace(str(path.resolve()), stable).replace(str(path), stable)
        text = text.replace(f"127.0.0.1:{outcome.server.port}", f"127.0.0.1:{STABLE['port']}")
    suffix = ".txt" if scenario.harness in TEXT_HARNESSES else ".jsonl"
    (RECORDINGS / f"{name}{suffix}").write_text(text, encoding="utf-8")
    version = harness_version(binary) if scenario.harness != "command" else None
    index[name] = {"harness": scenario.harness, "file": f"{name}{suffix}", "exit_code": outcome.returncode, "version": version}
    print(f"recorded {name}: exit {outcome.returncode}, {len(text.splitlines())} lines, {harness.binary} {version}")


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
        return 2
    RECORDINGS.mkdir(exist_ok=True)
    index_path = RECORDINGS / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    for name in names or list(SCENARIOS):
        record(name, SCENARIOS[name], index)
        index_path.write_text(json.dumps(dict(sorted(index.items())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
