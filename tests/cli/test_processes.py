from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.cli.conftest import OVERSEER

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_the_console_script_runs_init_add_and_ready_in_a_fresh_repository(run_overseer: Run) -> None:
    run_overseer("init")
    task = json.loads(run_overseer("task", "add", "Hello", "--json").stdout)
    ready = json.loads(run_overseer("ready", "--json").stdout)
    assert [t["id"] for t in ready] == [task["id"]]


def test_concurrent_cli_processes_never_fail_with_database_locked(run_overseer: Run, project: Path) -> None:
    run_overseer("init")

    def add(i: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(OVERSEER), "task", "add", f"task {i}", "--json"], cwd=project, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "OVERSEER_ACTOR": f"p{i}", "HOME": str(project)})

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(add, range(24)))
    failures = [r.stderr for r in results if r.returncode != 0]
    assert failures == []
    assert len(json.loads(run_overseer("task", "list", "--json").stdout)) == 24


def test_concurrent_ready_claim_processes_each_get_a_different_task(run_overseer: Run, project: Path) -> None:
    run_overseer("init")
    for i in range(6):
        run_overseer("task", "add", f"t{i}")

    def claim(i: int) -> str:
        proc = subprocess.run([str(OVERSEER), "ready", "--claim", "--json", "--worker", f"w{i}"], cwd=project, capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(project)})
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outputs = list(pool.map(claim, range(10)))
    won = [json.loads(o)["id"] for o in outputs if o]
    assert len(won) == 6 and len(set(won)) == 6
    assert outputs.count("") == 4
