"""Task-graph benchmark: import, ``ready`` and concurrent ``claim_next`` on SQLite and PostgreSQL.

Run ``.venv/bin/python bench/graph.py`` (``--quick`` for a CI-sized run, ``--json`` for a JSON report).
The last stdout line is always::

    BENCH graph ready_sample_ms=<median> ready_100k_ms=<median> claims_sqlite=<per s> claims_pg=<per s> double_claims=<n>

``bench/README.md`` describes what is measured and the shape of the synthetic graph.
Exit status: 1 when any double claim was seen (or, with ``--check``, when a target is missed), else 0.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from overseer.domain import Dependency, Task, TaskStatus
from overseer.interop.beads import BeadsBatch, read_beads_file
from overseer.store.sql import queries as q
from overseer.store.sql.engine import make_engine, sqlite_url
from overseer.store.sql.rows import to_micros
from overseer.store.sql.schema import tasks as tasks_table
from overseer.store.sql.store import SqlStore

ROOT = Path(__file__).resolve().parent.parent
_SAMPLES = [ROOT.parent / "shared" / "data" / "beads-issues.jsonl", ROOT / "tests" / "data" / "beads-issues.jsonl"]
DEFAULT_SAMPLE = Path(os.environ.get("OVERSEER_BEADS_SAMPLE") or next((p for p in _SAMPLES if p.exists()), _SAMPLES[0]))
DEFAULT_PG = os.environ.get("OVERSEER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/overseer_bench")

TARGETS = {
    "ready_sample_ms": ("<=", 5.0),
    "ready_100k_ms": ("<=", 100.0),
    "claims_sqlite": (">=", 300.0),
    "claims_pg": (">=", 1000.0),
    "double_claims": ("<=", 0),
}

ACTOR = "bench"


def log(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------------
# Beads sample
# --------------------------------------------------------------------------------------------------
def load_beads(path: Path) -> tuple[BeadsBatch, str]:
    """The sample as a batch with ``.tasks`` and ``.deps``, through the real importer."""
    return read_beads_file(path), "overseer.interop.beads"


# --------------------------------------------------------------------------------------------------
# Synthetic graph
# --------------------------------------------------------------------------------------------------
# Status mix of work items that are not under a done epic (children of a done epic are done or deleted).
_STATUS_MIX = [
    (TaskStatus.DONE, 0.60),
    (TaskStatus.OPEN, 0.28),
    (TaskStatus.DELETED, 0.03),
    (TaskStatus.CANCELLED, 0.02),
    (TaskStatus.CLAIMED, 0.02),
    (TaskStatus.RUNNING, 0.015),
    (TaskStatus.VERIFYING, 0.005),
    (TaskStatus.ON_HOLD, 0.01),
    (TaskStatus.NEEDS_CHANGES, 0.005),
    (TaskStatus.FAILED, 0.005),
    (TaskStatus.ESCALATED, 0.005),
    (TaskStatus.AWAITING_APPROVAL, 0.005),
]
_KIND_MIX = [("task", 0.50), ("bug", 0.28), ("feature", 0.12), ("chore", 0.05), ("review", 0.01), ("plan", 0.01),
             ("event", 0.02), ("merge-request", 0.01)]


def _pick(rng: random.Random, mix: Sequence[tuple[Any, float]]) -> Any:
    r = rng.random() * sum(w for _, w in mix)
    for value, w in mix:
        r -= w
        if r <= 0:
            return value
    return mix[-1][0]


def synthetic_graph(n: int, seed: int = 7) -> tuple[list[Task], list[Dependency]]:
    """``n`` tasks shaped like a long-lived project; see bench/README.md for the shape."""
    rng = random.Random(seed)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    n_epics = max(1, n // 50)
    tasks: list[Task] = []
    deps: list[Dependency] = []
    epic_ids = [f"ov-e{i:06d}" for i in range(n_epics)]
    # Epics: 20% nest under an older epic; 10% are blocked by another (older) epic.
    epic_status: dict[str, TaskStatus] = {}
    for i, eid in enumerate(epic_ids):
        status = TaskStatus.DONE if rng.random() < 0.55 else TaskStatus.OPEN
        epic_status[eid] = status
        created = t0 + timedelta(minutes=i * 7)
        tasks.append(Task(id=eid, title=f"epic {i}", kind="epic", status=status, priority=rng.randint(0, 4),
                          created_at=created, updated_at=created, closed_at=created if status == TaskStatus.DONE else None))
        if i > 10 and rng.random() < 0.20:
            deps.append(Dependency(eid, epic_ids[rng.randrange(i)], "parent-child", created))
        if i > 10 and rng.random() < 0.10:
            deps.append(Dependency(eid, epic_ids[rng.randrange(max(0, i - 50), i)], "blocks", created))
    # Work items: ~19% are children of an epic, ~19% continue a blocks chain, ~3% carry informational deps.
    work = n - n_epics
    recent: list[str] = []
    for i in range(work):
        tid = f"ov-{i:07d}"
        created = t0 + timedelta(seconds=i * 300 + rng.randrange(300))
        parent = epic_ids[rng.randrange(n_epics)] if rng.random() < 0.19 else None
        if parent is not None and epic_status[parent] == TaskStatus.DONE:
            status = TaskStatus.DONE if rng.random() < 0.97 else TaskStatus.DELETED
        else:
            status = _pick(rng, _STATUS_MIX)
        kind = _pick(rng, _KIND_MIX)
        hold = "waiting on vendor" if status == TaskStatus.OPEN and rng.random() < 0.03 else None
        claimed_by = lease = None
        if status in (TaskStatus.CLAIMED, TaskStatus.RUNNING, TaskStatus.VERIFYING):
            claimed_by = f"agent-{rng.randrange(16)}"
            # A quarter of the claims have a lease that ran out (a crashed worker): those are ready again.
            lease = now - timedelta(minutes=5) if rng.random() < 0.25 else now + timedelta(hours=1)
        closed = created + timedelta(days=1) if status in (TaskStatus.DONE, TaskStatus.DELETED, TaskStatus.CANCELLED) else None
        tasks.append(Task(id=tid, title=f"task {i}", body="Do the thing.\n" * 3, kind=kind, status=status,
                          priority=rng.choices(range(5), weights=(5, 20, 45, 20, 10))[0],
                          labels=("area/" + "abcdefgh"[i % 8],), hold=hold, claimed_by=claimed_by, lease_expires_at=lease,
                          created_at=created, updated_at=created, closed_at=closed))
        if parent is not None:
            deps.append(Dependency(tid, parent, "parent-child", created))
        if recent and rng.random() < 0.19:
            # Chains: block on one of the last few items (work tends to follow its predecessor).
            deps.append(Dependency(tid, recent[-1 - rng.randrange(min(len(recent), 8))], "blocks", created))
        if recent and rng.random() < 0.03:
            deps.append(Dependency(tid, recent[rng.randrange(len(recent))], rng.choice(["related", "discovered-from"]), created))
        recent.append(tid)
        if len(recent) > 64:
            del recent[:32]
    return tasks, deps


def independent_tasks(n: int, prefix: str) -> list[Task]:
    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    return [Task(id=f"{prefix}{i:06d}", title=f"claimable {i}", priority=i % 5, created_at=t0 + timedelta(seconds=i),
                 updated_at=t0 + timedelta(seconds=i)) for i in range(n)]


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------
def timed(fn: Callable[[], Any], reps: int, warmup: int = 3) -> tuple[float, list[float], Any]:
    """Median milliseconds of ``reps`` calls after ``warmup`` calls; also all samples and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    gc_was = gc.isenabled()
    gc.collect()
    gc.disable()  # as timeit does; collecting before every call would also evict the CPU caches
    try:
        for _ in range(reps):
            start = time.perf_counter()
            result = fn()
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        if gc_was:
            gc.enable()
    return statistics.median(samples), samples, result


def sql_only_ms(store: SqlStore, reps: int) -> float:
    """The READY query alone, rows fetched as raw tuples: no SQLAlchemy type processing, no Task objects."""
    now = to_micros(datetime.now(UTC))
    sql = q.READY.replace(":now", "?") if store.engine.dialect.name == "sqlite" else q.READY.replace(":now", "%(now)s")
    params: Any = (now,) if store.engine.dialect.name == "sqlite" else {"now": now}

    def run() -> int:
        with store.engine.connect() as conn:
            return len(conn.exec_driver_sql(sql, params).fetchall())

    return timed(run, reps)[0]


def sa_rows_ms(store: SqlStore, reps: int) -> float:
    """READY through SQLAlchemy with the table's column types (JSON decoded), as mappings: all but ``task_from_row``."""
    sql = sa.text(q.READY).columns(*tasks_table.c)

    def run() -> int:
        now = to_micros(datetime.now(UTC))
        with store.engine.connect() as conn:
            return len(list(conn.execute(sql, {"now": now}).mappings()))

    return timed(run, reps)[0]


def explain(store: SqlStore, sql: str, params: dict[str, Any]) -> str:
    now = to_micros(datetime.now(UTC))
    params = {"now": now, **params}
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            rows = conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql), params).all()
            return "\n".join(f"  {r[0]:>3} {r[1]:>3} {r[3]}" for r in rows)
        rows = conn.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).all()
        conn.rollback()
        return "\n".join("  " + r[0] for r in rows)


def bench_sample(path: Path, tmp: Path, reps: int, show_plan: bool) -> dict[str, Any]:
    start = time.perf_counter()
    batch, source = load_beads(path)
    parse_s = time.perf_counter() - start
    store = SqlStore.from_url(sqlite_url(tmp / "sample.db"))
    try:
        start = time.perf_counter()
        summary = store.import_graph(list(batch.tasks), list(batch.deps), actor=ACTOR)
        import_s = time.perf_counter() - start
        median, samples, ready = timed(store.ready, reps)
        res = {
            "loader": source, "tasks": len(batch.tasks), "deps": len(batch.deps), "created": summary.created,
            "parse_s": round(parse_s, 3), "import_s": round(import_s, 3), "ready_rows": len(ready),
            "ready_ms": round(median, 3), "ready_p90_ms": round(sorted(samples)[int(len(samples) * 0.9) - 1], 3),
            "ready_limit1_ms": round(timed(lambda: store.ready(limit=1), reps)[0], 3),
            "ready_sql_only_ms": round(sql_only_ms(store, reps), 3),
        }
        log(f"sample: {res['tasks']} tasks, {res['deps']} deps via {source}; parse {parse_s:.3f}s, "
            f"import_graph {import_s:.3f}s; ready -> {len(ready)} rows in {median:.2f} ms (median of {reps})")
        if show_plan:
            log("EXPLAIN QUERY PLAN ready (sample):\n" + explain(store, q.READY, {}))
        return res
    finally:
        store.close()


def bench_big(n: int, tmp: Path, reps: int, show_plan: bool) -> dict[str, Any]:
    start = time.perf_counter()
    tasks, deps = synthetic_graph(n)
    gen_s = time.perf_counter() - start
    store = SqlStore.from_url(sqlite_url(tmp / "big.db"))
    try:
        start = time.perf_counter()
        store.import_graph(tasks, deps, actor=ACTOR)
        import_s = time.perf_counter() - start
        del tasks
        median, samples, ready = timed(store.ready, reps)
        sql_ms = sql_only_ms(store, reps)
        rows_ms = sa_rows_ms(store, reps)
        lim1 = timed(lambda: store.ready(limit=1), reps)[0]
        # One agent asking for work on the big graph (each call claims a task, so no warm-up calls).
        claim_ms = timed(lambda: store.claim_next("bench-agent", 3600), 20, warmup=0)[0]
        victim = ready[len(ready) // 2].id
        claim_one_ms = timed(lambda: store.claim(victim, "bench-agent", 3600), 1, warmup=0)[0]
        res = {
            "tasks": n, "deps": len(deps), "deps_by_type": _count_types(deps), "generate_s": round(gen_s, 3),
            "import_s": round(import_s, 3), "ready_rows": len(ready), "ready_ms": round(median, 3),
            "ready_p90_ms": round(sorted(samples)[int(len(samples) * 0.9) - 1], 3),
            "ready_limit1_ms": round(lim1, 3), "ready_sql_only_ms": round(sql_ms, 3), "ready_sa_rows_ms": round(rows_ms, 3),
            "decode_ms_per_1k_rows": round((median - sql_ms) / max(len(ready), 1) * 1000, 3),
            "claim_next_ms": round(claim_ms, 3), "claim_ms": round(claim_one_ms, 3),
        }
        log(f"synthetic: {n} tasks, {len(deps)} deps {res['deps_by_type']}; generate {gen_s:.2f}s, import_graph {import_s:.2f}s")
        log(f"synthetic: ready -> {len(ready)} rows in {median:.1f} ms = SQL + raw tuples {sql_ms:.1f} ms, "
            f"+ SQLAlchemy row processing (JSON) -> {rows_ms:.1f} ms, + task_from_row -> {median:.1f} ms")
        log(f"synthetic: ready(limit=1) {lim1:.2f} ms; claim_next {claim_ms:.2f} ms; claim(id) {claim_one_ms:.2f} ms")
        if show_plan:
            log("EXPLAIN QUERY PLAN ready (synthetic):\n" + explain(store, q.READY, {}))
            log("EXPLAIN QUERY PLAN next_ready (synthetic):\n" + explain(store, q.NEXT_READY, {}))
        return res
    finally:
        store.close()


def _count_types(deps: Sequence[Dependency]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in deps:
        out[d.type] = out.get(d.type, 0) + 1
    return out


def claim_race(store: SqlStore, n_tasks: int, workers: int) -> dict[str, Any]:
    """``workers`` threads sharing one store (one supervisor process, one pool) claim until nothing is left."""
    store.import_graph(independent_tasks(n_tasks, "ov-c"), [], actor=ACTOR)
    got: list[list[str]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    gate = threading.Barrier(workers + 1)

    def worker(i: int) -> None:
        mine = got[i]
        gate.wait()
        try:
            while (task := store.claim_next(f"worker-{i}", 3600)) is not None:
                mine.append(task.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    gate.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    claimed = [tid for ids in got for tid in ids]
    seen: dict[str, int] = {}
    for tid in claimed:
        seen[tid] = seen.get(tid, 0) + 1
    returned_twice = sum(1 for c in seen.values() if c > 1)
    with store.engine.connect() as conn:
        per_task = conn.execute(sa.text(
            "SELECT task_id, COUNT(*) FROM events WHERE kind = 'task.claimed' GROUP BY task_id HAVING COUNT(*) > 1")).all()
        claimed_rows = conn.execute(sa.text("SELECT COUNT(*) FROM tasks WHERE status = 'claimed'")).scalar()
    res = {
        "tasks": n_tasks, "workers": workers, "seconds": round(elapsed, 3), "claims": len(claimed),
        "claims_per_s": round(len(claimed) / elapsed, 1) if elapsed > 0 else 0.0,
        "returned_twice": returned_twice, "events_twice": len(per_task), "tasks_claimed": claimed_rows,
        "missed": n_tasks - len(seen), "errors": [repr(e) for e in errors[:3]],
        "per_worker_min_max": [min(map(len, got)), max(map(len, got))],
    }
    res["double_claims"] = max(returned_twice, len(per_task))
    return res


def bench_claims_sqlite(tmp: Path, n_tasks: int, workers: int) -> dict[str, Any]:
    store = SqlStore.from_url(sqlite_url(tmp / "claims.db"))
    try:
        res = claim_race(store, n_tasks, workers)
    finally:
        store.close()
    log(f"claims sqlite: {res['claims']} claims by {workers} threads in {res['seconds']}s = {res['claims_per_s']}/s; "
        f"double {res['double_claims']}, missed {res['missed']}, errors {res['errors']}")
    return res


def _reset_pg(url: str) -> None:
    engine = make_engine(url.rsplit("/", 1)[0] + "/postgres")
    dbname = url.rsplit("/", 1)[1]
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": dbname}).first():
                conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    finally:
        engine.dispose()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # every table of the bench database, whatever the schema has grown to
            for table in conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars():
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        engine.dispose()


def bench_claims_pg(url: str, n_tasks: int, workers: int, show_plan: bool) -> dict[str, Any]:
    _reset_pg(url)
    store = SqlStore.from_url(url)
    try:
        if show_plan:
            store.import_graph(independent_tasks(200, "ov-p"), [], actor=ACTOR)
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            log("EXPLAIN ANALYZE next_ready (pg, 200 tasks):\n" + explain(store, q.NEXT_READY_PG, {}))
            with store.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM tasks")
                conn.exec_driver_sql("DELETE FROM events")
        res = claim_race(store, n_tasks, workers)
    finally:
        store.close()
    log(f"claims pg: {res['claims']} claims by {workers} threads in {res['seconds']}s = {res['claims_per_s']}/s; "
        f"double {res['double_claims']}, missed {res['missed']}, errors {res['errors']}")
    return res


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if v is None:
        return "na"
    if isinstance(v, float):
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    return str(v)


def _meets(name: str, value: Any) -> str:
    if value is None:
        return "skipped"
    op, target = TARGETS[name]
    ok = value <= target if op == "<=" else value >= target
    return "ok" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small run for CI smoke tests (10,000-task graph, 600 claims)")
    ap.add_argument("--json", action="store_true", help="also print the full results as one JSON object")
    ap.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help="Beads JSONL export to import")
    ap.add_argument("--tasks", type=int, help="size of the synthetic graph (default 100000, 10000 with --quick)")
    ap.add_argument("--claims", type=int, help="independent tasks to claim (default 3000, 600 with --quick)")
    ap.add_argument("--workers", type=int, default=16, help="concurrent claimers (threads)")
    ap.add_argument("--reps", type=int, help="timed repetitions of each ready query (default 50, 10 with --quick)")
    ap.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL database for the claim race (its tables are dropped)")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL (claims_pg=na)")
    ap.add_argument("--only", default="sample,big,sqlite,pg",
                    help="comma-separated parts to run: sample, big, sqlite, pg (default all; skipped figures print as na)")
    ap.add_argument("--plans", action="store_true", help="print the query plans")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    n_big = args.tasks or (10_000 if args.quick else 100_000)
    n_claims = args.claims or (600 if args.quick else 3_000)
    reps = args.reps or (10 if args.quick else 50)

    only = {p.strip() for p in args.only.split(",") if p.strip()}
    results: dict[str, Any] = {"quick": args.quick, "sample": None, "synthetic": None, "claims_sqlite": None, "claims_pg": None}
    with tempfile.TemporaryDirectory(prefix="overseer-bench-") as tmpname:
        tmp = Path(tmpname)
        if "sample" in only:
            if args.sample.exists():
                results["sample"] = bench_sample(args.sample, tmp, reps, args.plans)
            else:
                log(f"sample: {args.sample} not found, skipped")
        if "big" in only:
            results["synthetic"] = bench_big(n_big, tmp, max(5, reps // 5) if n_big >= 50_000 else reps, args.plans)
        if "sqlite" in only:
            results["claims_sqlite"] = bench_claims_sqlite(tmp, n_claims, args.workers)
    if "pg" in only and not args.no_pg:
        try:
            results["claims_pg"] = bench_claims_pg(args.pg_url, n_claims, args.workers, args.plans)
        except sa.exc.OperationalError as exc:
            log(f"claims pg: skipped, cannot reach {args.pg_url}: {str(exc).splitlines()[0]}")

    sample, big, lite, pg = (results[k] or {} for k in ("sample", "synthetic", "claims_sqlite", "claims_pg"))
    summary = {
        "ready_sample_ms": sample.get("ready_ms"),
        "ready_100k_ms": big.get("ready_ms"),
        "claims_sqlite": lite.get("claims_per_s"),
        "claims_pg": pg.get("claims_per_s"),
        "double_claims": lite.get("double_claims", 0) + pg.get("double_claims", 0) if lite or pg else None,
    }
    results["summary"] = summary
    extra = {
        "ready_100k_rows": big.get("ready_rows"), "ready_100k_limit1_ms": big.get("ready_limit1_ms"),
        "ready_100k_sql_only_ms": big.get("ready_sql_only_ms"), "claim_next_100k_ms": big.get("claim_next_ms"),
    }
    log("")
    size = f"{n_big / 1000:g}k"
    log(f"{'figure':<28}{'measured':>10}  {'target':>10}  verdict" + ("" if size == "100k" else f"   (100k figures are at {size} tasks)"))
    for name, value in summary.items():
        op, target = TARGETS[name]
        log(f"{name:<28}{_fmt(value):>10}  {op + ' ' + _fmt(target):>10}  {_meets(name, value)}")
    for name, value in extra.items():
        log(f"{name:<28}{_fmt(value):>10}  {'':>10}  (extra, no target)")
    if args.json:
        print(json.dumps(results, default=str, sort_keys=True))
    print("BENCH graph " + " ".join(f"{k}={_fmt(v)}" for k, v in summary.items()), flush=True)
    missed = any(_meets(k, v) == "MISSED" for k, v in summary.items())
    return 1 if summary["double_claims"] or (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
