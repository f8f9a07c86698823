"""API benchmark: ``overseer serve`` on loopback with 10,000 tasks stored.

Run ``.venv/bin/python bench/api.py`` (``--quick`` for a short run, ``--json`` for a JSON report). It starts a real
``overseer serve --no-agents --no-audit`` in its own process over a project whose SQLite store holds a synthetic
graph of 10,000 tasks (the shape of ``bench/graph.py``), then, from this process:

1. GET ``/api/v1/healthz`` (no store work: the floor of HTTP + FastAPI on this machine),
   GET ``/api/v1/tasks`` and GET ``/api/v1/ready``, each at 200 requests/s for 30 s, open loop (a request is sent at
   its scheduled time whether or not the earlier ones have answered), over 32 keep-alive connections; latency is
   measured from the scheduled send time to the end of the body, so queueing counts. Meanwhile a writer creates a
   task through the API 10 times a second, so the server's answer cache (kept until the event log moves) is rebuilt
   about 10 times a second, as on a busy supervisor; the cache's hit ratio is printed;
2. the dashboard pages (``/``, ``/approvals``, ``/providers``, ``/cost``, ``/audit``), 20 times each, one at a time;
3. SSE fan-out: 50 clients on ``/api/v1/events/stream``; 200 tasks are created through the API (one every 20 ms) and
   each client's receipt of each ``task.created`` event is timed against the moment the POST returned (the event is
   committed by then).

The last stdout line is always::

    BENCH api tasks_p99_ms=<p99> ready_p99_ms=<p99> sse_p99_ms=<p99>

Targets: tasks and ready p99 <= 25 ms, event delivery p99 <= 100 ms, each page p99 <= 300 ms. Exit status 1 with
``--check`` when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graph import synthetic_graph

from overseer.bootstrap import init_project, open_supervisor

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-not-secret"
TARGETS = {"tasks_p99_ms": 25.0, "ready_p99_ms": 25.0, "sse_p99_ms": 100.0, "pages_p99_ms": 300.0}
PAGES = ("/", "/approvals", "/providers", "/cost", "/audit")
WRITES_PER_S = 10


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median_ms": round(statistics.median(values), 2), "p99_ms": round(percentile(values, 99), 2),
            "max_ms": round(max(values), 2)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_project(base: Path, n: int) -> Path:
    repo = base / "project"
    repo.mkdir()
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@overseer.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "README.md").write_text("bench\n")
    init_project(repo)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=repo, check=True)
    tasks, deps = synthetic_graph(n)
    sup = open_supervisor(repo)
    try:
        sup.store.import_graph(tasks, deps, actor="bench")
        log(f"stored {len(tasks)} tasks, {len(deps)} dependencies; {len(sup.ready())} ready")
    finally:
        sup.close()
    return repo


def start_server(repo: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OVERSEER_API_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "overseer", "serve", "--no-agents", "--no-audit", "--port", str(port),
                             "--json", "-C", str(repo)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=1).status_code == 200:
                return proc
        if proc.poll() is not None:
            raise SystemExit(f"overseer serve exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("overseer serve did not answer within 60 s")


class Conn:
    """One keep-alive HTTP/1.1 connection, written by hand: the load generator shares 2 cores with the server, so it
    must cost far less per request than the server does (httpx costs about as much as the server)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def load(port: int, path: str, rate: float, seconds: float, connections: int = 32) -> dict[str, Any]:
    """Open loop: request i is due at start + i/rate; its latency runs from that moment to the end of its body. A
    request waits for a free connection (that wait counts: it is queueing)."""
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    pool: asyncio.Queue[Conn] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Conn.open(port))

    async def one(due: float) -> None:
        nonlocal errors
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await pool.get()
        try:
            status = await conn.get(path)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn = await Conn.open(port)
            return
        finally:
            pool.put_nowait(conn)
        if status != 200:
            errors += 1
            return
        latencies.append((loop.time() - due) * 1000)

    start = loop.time() + 0.2
    count = int(rate * seconds)
    await asyncio.gather(*(one(start + i / rate) for i in range(count)))
    while not pool.empty():
        pool.get_nowait().close()
    return {**summary(latencies), "errors": errors, "rate": rate, "seconds": seconds}


async def write_tasks(client: httpx.AsyncClient, stop: asyncio.Event) -> int:
    """A busy supervisor: the graph changes WRITES_PER_S times a second, so kept answers go stale and are rebuilt."""
    written = 0
    while not stop.is_set():
        r = await client.post("/api/v1/tasks", json={"title": f"written during load {written}", "priority": 4},
                              headers={"Authorization": f"Bearer {TOKEN}"})
        r.raise_for_status()
        written += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1 / WRITES_PER_S)
    return written


async def pages(client: httpx.AsyncClient, rounds: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for page in PAGES:
        times: list[float] = []
        for _ in range(rounds):
            t = time.perf_counter()
            r = await client.get(page)
            times.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"GET {page} answered {r.status_code}: {r.text[:500]}")
        found[page] = summary(times)
    return found


async def sse_fanout(base: str, clients: int, events: int, every: float) -> dict[str, Any]:
    sent: dict[str, float] = {}
    posted: dict[str, float] = {}
    received: list[float] = []
    missing = 0
    ready = asyncio.Event()
    connected = 0
    done = asyncio.Event()
    expect = clients * events

    async def listen(client: httpx.AsyncClient) -> None:
        nonlocal connected
        async with client.stream("GET", "/api/v1/events/stream", params={"kind": "task.created"}) as r:
            connected += 1
            if connected == clients:
                ready.set()
            kind = ""
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "task.created":
                    title = json.loads(line[6:]).get("data", {}).get("title", "")
                    at = time.perf_counter()
                    # Timed from the POST's return (the commit is done by then); an event that beats the POST's
                    # answer here is timed from before the POST went out, which can only overstate the delay.
                    since = sent.get(title, posted.get(title))
                    if since is not None:
                        received.append(max(0.0, at - since) * 1000)
                    if len(received) >= expect:
                        done.set()

    limits = httpx.Limits(max_connections=clients + 5)
    async with httpx.AsyncClient(base_url=base, timeout=None, limits=limits) as listeners, \
            httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as writer:
        tasks = [asyncio.create_task(listen(listeners)) for _ in range(clients)]
        await asyncio.wait_for(ready.wait(), 30)
        await asyncio.sleep(0.5)
        for i in range(events):
            title = f"sse-bench-{i}"
            posted[title] = time.perf_counter()
            r = await writer.post("/api/v1/tasks", json={"title": title, "priority": 4})
            r.raise_for_status()
            sent[title] = time.perf_counter()
            await asyncio.sleep(every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 10)
        missing = expect - len(received)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {**summary(received or [float("nan")]), "clients": clients, "events": events, "missing": missing}


async def measure(port: int, seconds: float, rate: float, sse_clients: int, sse_events: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for name, path in (("healthz", "/api/v1/healthz"), ("tasks", "/api/v1/tasks"), ("ready", "/api/v1/ready")):
            await client.get(path)  # warm: first-use imports
            log(f"GET {path} at {rate:g}/s for {seconds:g}s, while a writer adds a task every {1 / WRITES_PER_S:g}s …")
            stop = asyncio.Event()
            writer = asyncio.create_task(write_tasks(client, stop))
            out[name] = await load(port, path, rate, seconds)
            stop.set()
            out[name]["writes"] = await writer
            log(f"  {out[name]}")
        health = (await client.get("/api/v1/health/detailed")).json()
        out["cache"] = health["components"]["cache"].get("data", {})
        log(f"server's answer cache: {out['cache']}")
        log("dashboard pages …")
        out["pages"] = await pages(client, 5 if seconds < 10 else 20)
        for page, figures in out["pages"].items():
            log(f"  {page}: {figures}")
    log(f"SSE: {sse_clients} clients, {sse_events} events …")
    out["sse"] = await sse_fanout(base, sse_clients, sse_events, 0.02)
    log(f"  {out['sse']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--quick", action="store_true", help="5 s per endpoint, 20 SSE clients")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    seconds = 5.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="overseer-bench-api-") as tmp:
        repo = make_project(Path(tmp), args.tasks)
        port = free_port()
        server = start_server(repo, port)
        try:
            figures = asyncio.run(measure(port, seconds, args.rate, 20 if args.quick else 50, 50 if args.quick else 200))
        finally:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(10)
            if server.poll() is None:
                server.kill()
    floor = figures["healthz"]["p99_ms"]
    result = {
        "tasks_p99_ms": figures["tasks"]["p99_ms"], "ready_p99_ms": figures["ready"]["p99_ms"], "sse_p99_ms": figures["sse"]["p99_ms"],
        "pages_p99_ms": max(p["p99_ms"] for p in figures["pages"].values()),
        "tasks_vs_healthz": round(figures["tasks"]["p99_ms"] / floor, 2) if floor else None,
        "ready_vs_healthz": round(figures["ready"]["p99_ms"] / floor, 2) if floor else None,
    }
    if args.json:
        print(json.dumps({"figures": figures, "result": result, "targets": TARGETS}, indent=2))
    print(f"{'measure':<16}{'median ms':>11}{'p99 ms':>9}{'target':>9}")
    for name in ("healthz", "tasks", "ready"):
        f = figures[name]
        print(f"{name:<16}{f['median_ms']:>11}{f['p99_ms']:>9}{TARGETS.get(name + '_p99_ms', ''):>9}")
    for page, f in figures["pages"].items():
        print(f"{'page ' + page:<16}{f['median_ms']:>11}{f['p99_ms']:>9}{TARGETS['pages_p99_ms']:>9}")
    f = figures["sse"]
    print(f"{'sse delivery':<16}{f['median_ms']:>11}{f['p99_ms']:>9}{TARGETS['sse_p99_ms']:>9}  "
          f"({f['clients']} clients x {f['events']} events, {f['missing']} missing)")
    print(f"server answer cache: {figures['cache']}")
    print(f"tasks p99 / healthz p99 = {result['tasks_vs_healthz']}, ready p99 / healthz p99 = {result['ready_vs_healthz']} "
          "(the cost of the store and the payload over bare HTTP + FastAPI, measured side by side)")
    missed = [k for k, target in TARGETS.items() if result[k] > target] + (["sse_missing"] if f["missing"] else [])
    print(f"targets missed: {', '.join(missed)}" if missed else "all targets met")
    print(f"BENCH api tasks_p99_ms={result['tasks_p99_ms']} ready_p99_ms={result['ready_p99_ms']} sse_p99_ms={result['sse_p99_ms']}")
    if args.check and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
