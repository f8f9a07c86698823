"""The usage ledger in the SQL store: a mixin of ``SqlStore``, so entries, parks and their events share its transactions.

``acquire`` reads every window and inserts in one write transaction. On SQLite that transaction is ``BEGIN
IMMEDIATE`` (one writer per database, across processes); on PostgreSQL it first takes a transaction-scoped
advisory lock named after the provider, so acquirers of one provider queue while others go on. Either way no
two acquirers both see the last slot free.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from overseer.domain import ValidationError
from overseer.domain.enums import DepType
from overseer.domain.usage import CostRow, Park, Unit, UsageEntry, Window, WindowUsage, fits
from overseer.store.ledger_memory import NO_GROUP, check_group, total_by_key
from overseer.store.sql.rows import from_micros, park_from_row, park_to_row, to_micros, usage_from_row, usage_to_row
from overseer.store.sql.schema import deps, provider_parks, usage
from overseer.store.sql.transactions import Transactions

#: First half of the two-part advisory lock key of ``acquire`` (the second is the provider's CRC-32).
ACQUIRE_LOCK_SPACE = 7_214_391
#: Inlined, not bound: PostgreSQL must see the GROUP BY expression and the selected one as the same.
_DAY_MICROS = sa.literal_column(str(86_400 * 1_000_000), sa.BigInteger)


def provider_lock_key(provider: str) -> int:
    """A stable signed 32-bit key for ``provider`` (PostgreSQL's ``int4``)."""
    crc = zlib.crc32(provider.encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _amount(unit: Unit) -> sa.ColumnElement[Any]:
    if unit is Unit.TOKENS:
        return usage.c.tokens_in + usage.c.tokens_out
    return {Unit.RUNS: usage.c.runs, Unit.REQUESTS: usage.c.requests, Unit.USD: usage.c.cost_usd}[unit]


class LedgerMixin(Transactions):
    _pg: bool

    # -- entries ---------------------------------------------------------------------------------------
    def _insert_usage(self, conn: Connection, entry: UsageEntry) -> UsageEntry:
        if conn.execute(sa.select(usage.c.id).where(usage.c.id == entry.id)).first() is not None:
            raise ValidationError("id", f"a usage entry with id {entry.id!r} already exists")
        conn.execute(usage.insert(), usage_to_row(entry))
        return entry

    def _window_usage(self, conn: Connection, provider: str, window: Window, now: datetime, reserve_percent: float) -> WindowUsage:
        amount = _amount(window.unit)
        start = now - timedelta(seconds=window.seconds)
        stmt = sa.select(sa.func.coalesce(sa.func.sum(amount), 0), sa.func.min(usage.c.at)).where(
            usage.c.provider == provider, usage.c.at > to_micros(start), usage.c.at <= to_micros(now), amount > 0)
        used, oldest = conn.execute(stmt).one()
        return WindowUsage(provider, window, float(used), reserve_percent, None if oldest is None else from_micros(oldest))

    def acquire(self, entry: UsageEntry, windows: Sequence[Window], *, ceiling: float = 1.0) -> UsageEntry | None:
        with self._write() as conn:
            if self._pg:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:space, :key)"),
                             {"space": ACQUIRE_LOCK_SPACE, "key": provider_lock_key(entry.provider)})
            usages = [self._window_usage(conn, entry.provider, w, entry.at, 0.0) for w in windows]
            return self._insert_usage(conn, entry) if fits(entry, usages, ceiling) else None

    def record(self, entry: UsageEntry) -> UsageEntry:
        with self._write() as conn:
            return self._insert_usage(conn, entry)

    def settle(self, entry_id: str, *, requests: int | None = None, tokens_in: int = 0, tokens_out: int = 0,
               cost_usd: float = 0.0, model: str | None = None) -> UsageEntry:
        with self._write() as conn:
            row = conn.execute(sa.select(usage).where(usage.c.id == entry_id)).mappings().first()
            if row is None:
                raise ValidationError("usage", f"no usage entry {entry_id!r}")
            settled = usage_from_row(row).settle(requests=requests, tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost_usd,
                                                 model=model)
            fields = ("requests", "tokens_in", "tokens_out", "cost_usd", "model", "settled")
            values = usage_to_row(settled)
            conn.execute(usage.update().where(usage.c.id == entry_id).values(**{k: values[k] for k in fields}))
            return settled

    def cancel(self, entry_id: str) -> None:
        with self._write() as conn:
            conn.execute(usage.delete().where(usage.c.id == entry_id))

    def window_usage(self, provider: str, window: Window, now: datetime, *, reserve_percent: float = 0.0) -> WindowUsage:
        with self._read() as conn:
            return self._window_usage(conn, provider, window, now, reserve_percent)

    def usage_entries(self, *, provider: str | None = None, task_id: str | None = None, run_id: str | None = None,
                      since: datetime | None = None, limit: int | None = None) -> list[UsageEntry]:
        stmt = sa.select(usage).order_by(usage.c.at.desc(), usage.c.id.desc())
        for column, value in ((usage.c.provider, provider), (usage.c.task_id, task_id), (usage.c.run_id, run_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        if since is not None:
            stmt = stmt.where(usage.c.at >= to_micros(since))
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as conn:
            return [usage_from_row(r) for r in conn.execute(stmt).mappings()]

    # -- spending --------------------------------------------------------------------------------------
    def cost_totals(self, by: str, *, since: datetime | None = None, task_id: str | None = None) -> list[CostRow]:
        check_group(by)
        group, source = _grouping(by)
        stmt = sa.select(group.label("grp"), sa.func.sum(usage.c.cost_usd), sa.func.sum(usage.c.runs), sa.func.sum(usage.c.requests),
                         sa.func.sum(usage.c.tokens_in), sa.func.sum(usage.c.tokens_out)).select_from(source).group_by(group)
        if since is not None:
            stmt = stmt.where(usage.c.at >= to_micros(since))
        if task_id is not None:
            stmt = stmt.where(usage.c.task_id == task_id)
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return total_by_key(CostRow(_key(by, grp), float(cost), int(runs), int(requests), int(t_in), int(t_out))
                            for grp, cost, runs, requests, t_in, t_out in rows)

    # -- parks -----------------------------------------------------------------------------------------
    def park(self, provider: str, until: datetime, reason: str, *, actor: str) -> Park:
        parked = Park(provider, until, reason, self._clock())
        row = park_to_row(parked)
        insert = (postgresql.insert if self._pg else sqlite.insert)(provider_parks).values(**row)
        upsert = insert.on_conflict_do_update(index_elements=[provider_parks.c.provider],
                                              set_={k: v for k, v in row.items() if k != "provider"})
        with self._write() as conn:
            conn.execute(upsert)
            self._log(conn, "provider.parked", None, actor, {"provider": provider, "until": until.isoformat(), "reason": reason})
        return parked

    def unpark(self, provider: str, *, actor: str) -> None:
        with self._write() as conn:
            if conn.execute(provider_parks.delete().where(provider_parks.c.provider == provider)).rowcount:
                self._log(conn, "provider.unparked", None, actor, {"provider": provider})

    def parks(self, now: datetime) -> dict[str, Park]:
        stmt = sa.select(provider_parks).where(provider_parks.c.until > to_micros(now))
        with self._read() as conn:
            return {p.provider: p for p in (park_from_row(r) for r in conn.execute(stmt).mappings())}


def _grouping(by: str) -> tuple[sa.ColumnElement[Any], sa.FromClause]:
    """The column ``cost_totals`` groups ``by``, and what it selects from."""
    if by == "day":
        return usage.c.at // _DAY_MICROS, usage
    if by == "epic":
        parents = sa.select(deps.c.task_id, sa.func.min(deps.c.depends_on).label("parent")).where(
            deps.c.type == DepType.PARENT_CHILD.value).group_by(deps.c.task_id).subquery()
        return parents.c.parent, usage.outerjoin(parents, parents.c.task_id == usage.c.task_id)
    column = {"task": usage.c.task_id, "run": usage.c.run_id, "provider": usage.c.provider, "model": usage.c.model}[by]
    return column, usage


def _key(by: str, value: Any) -> str:
    if value is None:
        return NO_GROUP
    if by == "day":
        return (from_micros(0) + timedelta(days=int(value))).date().isoformat()
    return str(value)
