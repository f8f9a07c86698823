"""``overseer quota``, ``providers``, ``cost``, ``route``, ``park`` and ``unpark``: capacity and spending from the terminal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from overseer.bootstrap import quota_book, run_store, task_routing
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, fail, out, supervisor
from overseer.domain import utcnow
from overseer.domain.usage import format_duration, parse_duration
from overseer.ports import COST_GROUPS

BAR = 20


def bar(percent: float, reserve: float) -> str:
    filled = min(BAR, round(percent / 100 * BAR))
    colour = "red" if percent >= 100 - reserve else "yellow" if percent >= 60 else "green"
    return f"[{colour}]{'█' * filled}[/]{'░' * (BAR - filled)}"


def when(at: str | None) -> str:
    if not at:
        return ""
    left = datetime.fromisoformat(at) - utcnow()
    return f"{at[:16].replace('T', ' ')}Z (in {format_duration(max(60, round(left.total_seconds() / 60) * 60))})"


def quota(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Every provider's windows: used, limit, percent, when room comes back, and parking."""
    with supervisor(as_json, repo) as sup:
        rows: list[dict[str, Any]] = [s.dict() for s in quota_book(sup).status()]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="quota windows", header_style="bold")
    for col in ("provider", "window", "used / limit", "", "%", "reserve", "resets", "parked until"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        if r["window"] is None:
            table.add_row(str(r["provider"]), "-", "no window", "", "", "", "", when(r["parked_until"]))
            continue
        pct, reserve = float(r["percent"]), float(r["reserve_percent"])
        table.add_row(str(r["provider"]), f"{r['window']} {r['unit']}", f"{r['used']:g} / {r['limit']:g}", bar(pct, reserve),
                      f"{pct:.0f}", f"{reserve:g} %", when(r["resets_at"]), when(r["parked_until"]))
    out.print(table, markup=True)


def providers(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """The providers: kind, pool, windows, reserve, dollar budget, their profiles, and whether they can take work now."""
    with supervisor(as_json, repo) as sup:
        book = quota_book(sup)
        parks = book.ledger.parks(utcnow())
        rows: list[dict[str, Any]] = []
        for name, conf in sup.config.providers.items():
            rows.append({
                "provider": name, "kind": conf.kind.value, "pool": conf.pool, "buffer_percent": conf.buffer_percent,
                "windows": [{"limit": w.limit, "unit": w.unit.value, "length": w.name} for w in conf.all_windows()],
                "daily_usd": conf.budget.daily_usd, "monthly_usd": conf.budget.monthly_usd,
                "profiles": [p for p, prof in sup.config.profiles.items() if prof.provider == name],
                "can_use": book.can_use(name), "can_use_reserve": book.can_use(name, reserve_for_emergency=False),
                "parked_until": parks[name].until.isoformat() if name in parks else None,
            })
    if as_json:
        emit_json(rows)
        return
    table = Table(title="providers", header_style="bold")
    for col in ("provider", "kind", "pool", "windows", "reserve", "profiles", "now"):
        table.add_column(col)
    for r in rows:
        windows = ", ".join(f"{w['limit']:g} {w['unit']}/{w['length']}" for w in r["windows"]) or "-"
        now = "parked" if r["parked_until"] else "ready" if r["can_use"] else "reserve only" if r["can_use_reserve"] else "full"
        table.add_row(str(r["provider"]), str(r["kind"]), str(r["pool"]), windows, f"{r['buffer_percent']:g} %",
                      ", ".join(r["profiles"]), now)
    out.print(table)


def cost(
    by: Annotated[str, typer.Option("--by", help=f"Group by: {', '.join(COST_GROUPS)}.")] = "provider",
    since: Annotated[str | None, typer.Option("--since", help="Only the last 24h, 7d, 30d…")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Only this task's spending.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Dollars, tokens, runs and requests, grouped by task, provider, day, run, model or epic."""
    if by not in COST_GROUPS:
        fail(f"--by {by!r}: group by one of {', '.join(COST_GROUPS)}", as_json=as_json, kind="ValidationError", field="by")
    try:
        start = utcnow() - timedelta(seconds=parse_duration(since)) if since else None
    except ValueError as exc:
        fail(f"--since: {exc}", as_json=as_json, kind="ValidationError", field="since")
    with supervisor(as_json, repo) as sup:
        rows = quota_book(sup).ledger.cost_totals(by, since=start, task_id=task)
    total = sum(r.cost_usd for r in rows)
    if as_json:
        emit_json({"by": by, "since": start.isoformat() if start else None, "total_usd": round(total, 6), "rows": [r.dict() for r in rows]})
        return
    table = Table(title=f"cost by {by}" + (f" since {since}" if since else ""), header_style="bold")
    for col in (by, "$", "runs", "requests", "tokens in", "tokens out"):
        table.add_column(col, justify="left" if col == by else "right")
    for r in rows:
        table.add_row(r.key, f"{r.cost_usd:.4f}", str(r.runs), str(r.requests), f"{r.tokens_in:,}", f"{r.tokens_out:,}")
    table.add_section()
    table.add_row("total", f"{total:.4f}", str(sum(r.runs for r in rows)), str(sum(r.requests for r in rows)), "", "")
    out.print(table)


def route(
    task_id: Annotated[str, typer.Argument(help="The task to route.")],
    mode: Annotated[str | None, typer.Option("--mode", help="frugal, balanced, performance or max (default: routing.mode).")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Where the task would go now, and why (nothing is started or taken)."""
    with supervisor(as_json, repo) as sup:
        task = sup.get(task_id)
        routing = task_routing(sup, mode=mode)
        last = run_store(sup).list_runs(task_id=task.id, limit=1) if task.attempts else []
        decision = routing.route(task, routing.quota.view(), last[0] if last else None)
    if as_json:
        emit_json({"task": task.id, **decision.dict()})
        return
    out.print(decision.reason)
    if decision.usable[1:]:
        out.print("then: " + ", ".join(o.profile for o in decision.usable[1:]))


def park(
    provider: Annotated[str, typer.Argument(help="The provider to stop sending work to.")],
    until: Annotated[str, typer.Option("--for", help="How long: 30m, 5h, 2d…")] = "1h",
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the event log).")] = "parked by hand",
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Park a provider by hand (the router skips it until then)."""
    try:
        seconds = parse_duration(until)
    except ValueError as exc:
        fail(f"--for: {exc}", as_json=as_json, kind="ValidationError", field="for")
    with supervisor(as_json, repo) as sup:
        if provider not in sup.config.providers:
            fail(f"unknown provider {provider!r} (providers: {', '.join(sup.config.providers)})", as_json=as_json,
                 kind="ValidationError", field="provider")
        parked = quota_book(sup).ledger.park(provider, utcnow() + timedelta(seconds=seconds), reason, actor=actor())
    emit_json(parked.dict()) if as_json else out.print(f"{provider} parked until {parked.until.isoformat(timespec='minutes')}")


def unpark(provider: Annotated[str, typer.Argument(help="The provider to use again.")], as_json: JsonFlag = False,
           repo: RepoOpt = None) -> None:
    """Lift a provider's parking now."""
    with supervisor(as_json, repo) as sup:
        quota_book(sup).ledger.unpark(provider, actor=actor())
    emit_json({"provider": provider, "parked": False}) if as_json else out.print(f"{provider} unparked")
