"""``/providers``: every provider's quota windows as gauges (used of limit, the emergency reserve marked), when room comes
back, and which providers are parked; ``/cost``: spending per day for the last 30 days as a chart, and totals by
provider and by model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from overseer.api.context import AppContext, context
from overseer.domain import utcnow
from overseer.domain.usage import Park, WindowUsage
from overseer.web.charts import daily_bars
from overseer.web.templating import page, seen

router = APIRouter(include_in_schema=False, dependencies=[Depends(seen)])
Ctx = Annotated[AppContext, Depends(context)]
DAYS = 30


@dataclass(frozen=True)
class Gauge:
    usage: WindowUsage

    @property
    def width(self) -> float:
        return max(0.0, min(100.0, self.usage.percent))

    @property
    def reserve_at(self) -> float:
        """Where the reserve begins, in percent of the bar."""
        return max(0.0, min(100.0, 100.0 - self.usage.reserve_percent))

    @property
    def level(self) -> str:
        pct = self.usage.percent
        return "full" if pct >= self.reserve_at else "high" if pct >= 60 else "ok"


@dataclass(frozen=True)
class ProviderRow:
    name: str
    kind: str
    pool: int
    reserve_percent: float
    profiles: list[str]
    gauges: list[Gauge]
    park: Park | None
    state: str  # ready | reserve only | full | parked
    budget: str


def provider_rows(ctx: AppContext, now: datetime) -> list[ProviderRow]:
    book = ctx.quota()
    parks = book.ledger.parks(now)
    rows = []
    for name, conf in ctx.sup.config.providers.items():
        gauges = [Gauge(u) for u in book.usage(name, now)]
        state = "parked" if name in parks else "ready" if book.can_use(name) else \
            "reserve only" if book.can_use(name, reserve_for_emergency=False) else "full"
        budget = " · ".join(f"{money:g} $/{span}" for money, span in ((conf.budget.daily_usd, "day"), (conf.budget.monthly_usd, "month"))
                            if money)
        rows.append(ProviderRow(name, conf.kind.value, conf.pool, conf.buffer_percent,
                                [p for p, prof in ctx.sup.config.profiles.items() if prof.provider == name], gauges,
                                parks.get(name), state, budget))
    return rows


@router.get("/providers", response_class=HTMLResponse)
def providers(request: Request, ctx: Ctx) -> HTMLResponse:
    now = utcnow()
    rows = provider_rows(ctx, now)
    parked = sorted((r.park for r in rows if r.park is not None), key=lambda p: p.until)
    return page(request, "providers.html", {"providers": rows, "parked": parked, "now": now}, active="providers",
                title="Providers")


@router.get("/cost", response_class=HTMLResponse)
def cost(request: Request, ctx: Ctx) -> HTMLResponse:
    ledger = ctx.quota().ledger
    now = utcnow()
    since = (now - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = ledger.cost_totals("day", since=since)
    by_provider = ledger.cost_totals("provider", since=since)
    by_model = ledger.cost_totals("model", since=since)
    all_time = sum(r.cost_usd for r in ledger.cost_totals("provider"))
    chart = daily_bars({r.key: r.cost_usd for r in days}, since.date(), DAYS)
    data = {"chart": chart, "by_provider": by_provider, "by_model": by_model, "days": DAYS,
            "total": sum(r.cost_usd for r in days), "all_time": all_time,
            "runs": sum(r.runs for r in by_provider), "requests": sum(r.requests for r in by_provider)}
    return page(request, "cost.html", data, active="cost", title="Cost")
