"""Providers, their quota windows and parking, and what was spent — the data of ``overseer providers|quota|park|unpark|cost``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from overseer.api.context import AppContext, context
from overseer.domain import NotFound, ValidationError, utcnow
from overseer.domain.usage import parse_duration

router = APIRouter(tags=["providers"])
Ctx = Annotated[AppContext, Depends(context)]
Provider = Annotated[str, Path(max_length=100, description="A provider named in overseer.yaml (GET /providers lists them).")]
CostBy = Literal["task", "run", "provider", "model", "day", "epic"]  # ports.COST_GROUPS
MAX_PARK_DAYS = 366
MAX_SINCE_DAYS = 3650


class ParkBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    for_: str = Field(default="1h", alias="for", max_length=32, description="How long: 30m, 5h, 2d…")
    reason: str = Field(default="parked by hand", max_length=1000, description="Why (kept in the event log).")


def duration(value: str, field: str, max_days: int) -> timedelta:
    """``value`` ("5h", "30m", "7d") as a timedelta, or ``ValidationError(field)``: unparsable, zero, or too long."""
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None
    if not 0 < seconds <= max_days * 86400:
        raise ValidationError(field, f"{value!r} must be more than 0 and at most {max_days} days")
    return timedelta(seconds=seconds)


def _known(ctx: AppContext, name: str) -> str:
    if name not in ctx.sup.config.providers:
        raise NotFound(f"no provider {name!r} (providers: {', '.join(ctx.sup.config.providers) or 'none'})")
    return name


@router.get("/providers", summary="The providers: kind, pool, windows, reserve, dollar budget, profiles, and whether they take work now")
def providers(ctx: Ctx) -> dict[str, Any]:
    book = ctx.quota()
    parks = book.ledger.parks(utcnow())
    rows: list[dict[str, Any]] = []
    for name, conf in ctx.sup.config.providers.items():
        park = parks.get(name)
        rows.append({
            "provider": name, "kind": conf.kind.value, "pool": conf.pool, "buffer_percent": conf.buffer_percent,
            "windows": [{"limit": w.limit, "unit": w.unit.value, "length": w.name} for w in conf.all_windows()],
            "daily_usd": conf.budget.daily_usd, "monthly_usd": conf.budget.monthly_usd,
            "profiles": [p for p, prof in ctx.sup.config.profiles.items() if prof.provider == name],
            "can_use": book.can_use(name), "can_use_reserve": book.can_use(name, reserve_for_emergency=False),
            "parked_until": park.until.isoformat() if park else None, "parked_reason": park.reason if park else None,
        })
    return {"providers": rows}


@router.get("/agents/quota/status", summary="Every provider's windows: used, limit, percent, reset time, reserve, parked until")
def quota_status(ctx: Ctx) -> dict[str, Any]:
    """One entry per provider, its windows inside (empty for a provider with none: pool and dollars only)."""
    book = ctx.quota()
    grouped: dict[str, dict[str, Any]] = {}
    for row in book.status():
        entry = grouped.setdefault(row.provider, {
            "provider": row.provider, "can_use": book.can_use(row.provider),
            "parked_until": row.parked.until.isoformat() if row.parked else None,
            "parked_reason": row.parked.reason if row.parked else None, "windows": []})
        if row.usage is not None:
            entry["windows"].append(row.usage.dict())
    return {"at": book.clock().isoformat(), "providers": list(grouped.values())}


@router.post("/providers/{name}/park", summary="Park a provider: the router skips it until then")
def park(ctx: Ctx, name: Provider, body: Annotated[ParkBody | None, Body()] = None) -> dict[str, object]:
    name, body = _known(ctx, name), body or ParkBody.model_validate({})
    length = duration(body.for_, "for", MAX_PARK_DAYS)
    parked = ctx.quota().ledger.park(name, utcnow() + length, body.reason, actor=ctx.settings.actor)
    return {**parked.dict(), "parked": True}


@router.delete("/providers/{name}/park", summary="Lift a provider's parking now")
def unpark(ctx: Ctx, name: Provider) -> dict[str, object]:
    ctx.quota().ledger.unpark(_known(ctx, name), actor=ctx.settings.actor)
    return {"provider": name, "parked": False}


@router.get("/cost", summary="Dollars, tokens, runs and requests grouped by task, run, provider, model, day or epic")
def cost(ctx: Ctx, by: Annotated[CostBy, Query(description="How to group.")] = "provider",
         since: Annotated[str | None, Query(max_length=32, description="Only the last 24h, 7d, 30d…")] = None,
         task: Annotated[str | None, Query(max_length=200, description="Only this task's spending.")] = None) -> dict[str, Any]:
    start = utcnow() - duration(since, "since", MAX_SINCE_DAYS) if since else None
    rows = ctx.quota().ledger.cost_totals(by, since=start, task_id=task)
    return {"by": by, "since": start.isoformat() if start else None, "total_usd": round(sum(r.cost_usd for r in rows), 6),
            "rows": [r.dict() for r in rows]}


@router.get("/cost/daily", summary="Cost per UTC day for a chart, oldest first; days with nothing are there as zeros")
def cost_daily(ctx: Ctx, days: Annotated[int, Query(ge=1, le=MAX_PARK_DAYS, description="How many days, today included.")] = 30
               ) -> list[dict[str, Any]]:
    today = utcnow().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    rows = {r.key: r for r in ctx.quota().ledger.cost_totals("day", since=datetime(first.year, first.month, first.day, tzinfo=UTC))}
    out = []
    for i in range(days):
        day = (first + timedelta(days=i)).isoformat()
        row = rows.get(day)
        out.append({"day": day, "usd": round(row.cost_usd, 6) if row else 0.0, "tokens_in": row.tokens_in if row else 0,
                    "tokens_out": row.tokens_out if row else 0, "runs": row.runs if row else 0})
    return out
