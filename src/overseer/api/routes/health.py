"""Health: ``/healthz`` (the process answers), ``/readyz`` (store and executor reachable), ``/health/detailed``
(every component with its latency)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from overseer import __version__
from overseer.api.context import AppContext, Health, Probe, context
from overseer.bootstrap import executor_check

router = APIRouter(tags=["health"])
Ctx = Annotated[AppContext, Depends(context)]


def _store(ctx: AppContext) -> Health:
    seq = ctx.sup.last_event_seq()
    return Health("ok", f"last event #{seq}", {"last_event_seq": seq})


def _executor(ctx: AppContext) -> Health:
    return Health("ok", f"local executor; git answers on branch {executor_check(ctx.sup)}")


def _events(ctx: AppContext) -> Health:
    broker = ctx.broker
    state = "ok" if broker.running else "down"
    return Health(state, f"{len(broker.subscribers)} live subscriber(s)",
                  {"subscribers": len(broker.subscribers), "cursor": broker.cursor, "polls": broker.polls})


def _cache(ctx: AppContext) -> Health:
    cache = ctx.cache
    total = cache.hits + cache.misses
    ratio = round(cache.hits / total, 3) if total else None
    return Health("ok", f"list answers kept until the event log moves; hit ratio {ratio}",
                  {"hits": cache.hits, "misses": cache.misses, "hit_ratio": ratio})


async def _timed(probe: Probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        health = await asyncio.to_thread(probe)
    except Exception as exc:  # the point of this page: say which part is broken and how
        health = Health("down", f"{type(exc).__name__}: {exc}")
    return {"status": health.status, "latency_ms": round((time.perf_counter() - started) * 1000, 2), "detail": health.detail,
            **({"data": health.data} if health.data else {})}


@router.get("/healthz", summary="The process answers (no dependency checked)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve: the store and the executor are reachable (503 when not)")
async def readyz(ctx: Ctx) -> JSONResponse:
    checks = {"store": await _timed(lambda: _store(ctx)), "executor": await _timed(lambda: _executor(ctx))}
    ready = all(c["status"] == "ok" for c in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)


@router.get("/health/detailed", summary="Every component (store, executor, event stream, runner, auditor) with its latency")
async def detailed(ctx: Ctx) -> dict[str, Any]:
    probes: dict[str, Probe] = {"store": lambda: _store(ctx), "executor": lambda: _executor(ctx), "events": lambda: _events(ctx),
                                "cache": lambda: _cache(ctx), **ctx.probes}
    results = await asyncio.gather(*(_timed(p) for p in probes.values()))
    components = dict(zip(probes, results, strict=True))
    worst = "down" if any(c["status"] == "down" for c in components.values()) else \
        "degraded" if any(c["status"] != "ok" for c in components.values()) else "ok"
    return {"status": worst, "version": __version__, "uptime_seconds": round(time.time() - ctx.started, 1), "components": components}
