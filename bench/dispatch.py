"""Dispatch benchmark: what the supervisor loop costs on top of the work it supervises.

    .venv/bin/python bench/dispatch.py [--tasks 200] [--parallel 4] [--json]

1. Overhead: TASKS tasks run by a no-op command harness at PARALLEL at a time through ``overseer run --once``
   (claims, run records, events, worktrees, bounded logs, commits), against a bare asyncio loop that does only
   ``git worktree add`` + spawn + ``git add``/``commit`` for the same command at the same parallelism, in the same run.
2. Dispatch latency: with the loop idle, tasks are added one at a time from another connection (as another
   process would); latency = process start (run.started_at) - task creation. Median and p99.
3. Memory: peak RSS of this process (the supervisor) while 20 runs are live at once.

The last line is ``BENCH dispatch overhead_ratio=… dispatch_p99_ms=… rss_mb=…``.
Targets: ratio <= 1.3, dispatch p99 <= 100 ms, RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from overseer.bootstrap import init_project, open_runner, open_supervisor, run_store
from overseer.service import NewTask

NOOP = ["sh", "-c", 'echo "$OVERSEER_RUN_ID" > done.txt; echo \'{"type":"result","success":true}\'']
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]


def make_repo(root: Path, profile: dict[str, object], parallel: int) -> Path:
    repo = root / "repo"
    repo.mkdir(parents=True)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "README.md").write_text("bench\n")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=repo, check=True)
    init_project(repo)
    # the loop's own cost: no verification stages, and verified runs wait at the land gate (no merges), as the bare
    # baseline neither checks nor merges
    config = {"profiles": {"noop": {"harness": "command", "pool": 1000, **profile}},
              "runtime": {"max_parallel": parallel, "heartbeat_seconds": 30},
              "verify": {"stages": []}, "landing": {"approve_each": True}}
    (repo / "overseer.yaml").write_text(json.dumps(config))
    return repo


def overseer_phase(root: Path, tasks: int, parallel: int) -> float:
    repo = make_repo(root / "overseer", {"command": NOOP}, parallel)
    sup = open_supervisor(repo)
    for i in range(tasks):
        sup.create_task(NewTask(title=f"noop {i}"), actor="bench")
    started = time.perf_counter()
    state = asyncio.run(open_runner(sup, worker="bench").run(once=True, max_parallel=parallel))
    elapsed = time.perf_counter() - started
    ok = sum(1 for r in state.finished if r.status.value == "succeeded")
    sup.close()
    if ok != tasks:
        raise SystemExit(f"only {ok} of {tasks} overseer runs succeeded")
    return elapsed


async def _bare_one(repo: Path, wt_root: Path, i: int, sem: asyncio.Semaphore, admin: asyncio.Lock) -> None:
    async with sem:
        path = wt_root / f"b{i}"

        async def run(*argv: str, cwd: Path) -> None:
            proc = await asyncio.create_subprocess_exec(*argv, cwd=cwd, stdout=asyncio.subprocess.DEVNULL)
            if await proc.wait() != 0:
                raise SystemExit(f"{argv} failed")

        async with admin:  # concurrent `git worktree add` races on .git/worktrees; Overseer serialises it too
            await run(*GIT, "worktree", "add", "-q", "-b", f"bare/{i}", str(path), "main", cwd=repo)
        proc = await asyncio.create_subprocess_exec(*NOOP, cwd=path, env={"OVERSEER_RUN_ID": f"b{i}", "PATH": "/usr/bin:/bin"},
                                                    stdout=asyncio.subprocess.PIPE, start_new_session=True)
        await proc.communicate()
        await run(*GIT, "add", "-A", cwd=path)
        await run(*GIT, "commit", "-qm", f"bare {i}", cwd=path)


def bare_phase(root: Path, tasks: int, parallel: int) -> float:
    repo = make_repo(root / "bare", {"command": NOOP}, parallel)
    wt_root = root / "bare-worktrees"
    wt_root.mkdir()

    async def main() -> None:
        sem, admin = asyncio.Semaphore(parallel), asyncio.Lock()
        await asyncio.gather(*(_bare_one(repo, wt_root, i, sem, admin) for i in range(tasks)))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def latency_phase(root: Path, samples: int) -> list[float]:
    repo = make_repo(root / "latency", {"command": NOOP}, 4)
    sup = open_supervisor(repo)
    feeder = open_supervisor(repo)  # another connection, as another process would add work
    created: dict[str, float] = {}

    def feed() -> None:
        time.sleep(0.5)
        for i in range(samples):
            task = feeder.create_task(NewTask(title=f"late {i}"), actor="feeder")
            created[task.id] = task.created_at.timestamp()
            time.sleep(0.15)

    async def main() -> None:
        runner = open_runner(sup, worker="bench")
        loop_task = asyncio.create_task(runner.run())
        thread = threading.Thread(target=feed)
        thread.start()
        while len(runner.state.finished) < samples:
            if loop_task.done():  # the loop died: say why instead of waiting for runs that will never come
                loop_task.result()
                raise SystemExit("the supervisor loop ended before every sample ran")
            await asyncio.sleep(0.05)
        thread.join()
        loop_task.cancel()
        await asyncio.gather(loop_task, return_exceptions=True)

    asyncio.run(main())
    runs = run_store(sup).list_runs()
    latencies = [(r.started_at.timestamp() - created[r.task_id]) * 1000 for r in runs if r.started_at and r.task_id in created]
    sup.close()
    feeder.close()
    return latencies


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_phase(root: Path, concurrent: int = 20) -> tuple[float, int]:
    sleeper = ["sh", "-c", 'sleep 2; echo "$OVERSEER_RUN_ID" > done.txt; echo \'{"type":"result","success":true}\'']
    repo = make_repo(root / "rss", {"command": sleeper}, concurrent)
    sup = open_supervisor(repo)
    for i in range(concurrent):
        sup.create_task(NewTask(title=f"sleep {i}"), actor="bench")
    peak, most_live = 0.0, 0

    async def main() -> None:
        nonlocal peak, most_live
        runner = open_runner(sup, worker="bench")
        loop_task = asyncio.create_task(runner.run(once=True, max_parallel=concurrent))
        while not loop_task.done():
            peak = max(peak, _rss_mb())
            most_live = max(most_live, len(runner.state.active))
            await asyncio.sleep(0.05)
        await loop_task

    asyncio.run(main())
    sup.close()
    return peak, most_live


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="overseer-bench-") as tmp:
        root = Path(tmp)
        bare = bare_phase(root, args.tasks, args.parallel)
        ours = overseer_phase(root, args.tasks, args.parallel)
        latencies = latency_phase(root, args.samples)
        rss, live = rss_phase(root)
    figures = {
        "tasks": args.tasks, "parallel": args.parallel, "bare_s": round(bare, 2), "overseer_s": round(ours, 2),
        "overhead_ratio": round(ours / bare, 2), "dispatch_median_ms": round(statistics.median(latencies), 1),
        "dispatch_p99_ms": round(percentile(latencies, 0.99), 1), "rss_mb": round(rss, 1), "live_runs_at_peak": live,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{'measure':<34}{'result':>12}{'target':>12}")
        print(f"{'bare loop, ' + str(args.tasks) + ' runs (s)':<34}{bare:>12.2f}")
        print(f"{'overseer run --once (s)':<34}{ours:>12.2f}")
        print(f"{'overhead ratio':<34}{figures['overhead_ratio']:>12}{'<= 1.3':>12}")
        print(f"{'dispatch median (ms)':<34}{figures['dispatch_median_ms']:>12}")
        print(f"{'dispatch p99 (ms)':<34}{figures['dispatch_p99_ms']:>12}{'<= 100':>12}")
        print(f"{'peak RSS with ' + str(live) + ' live runs (MB)':<34}{figures['rss_mb']:>12}{'<= 150':>12}")
    print(f"BENCH dispatch overhead_ratio={figures['overhead_ratio']} dispatch_p99_ms={figures['dispatch_p99_ms']} "
          f"rss_mb={figures['rss_mb']}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
