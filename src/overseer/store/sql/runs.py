"""Runs in the SQL store: a mixin of ``SqlStore`` so that runs and their events share its transactions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from overseer.domain import RunNotFound, TaskNotFound, ValidationError
from overseer.domain.runs import Run, RunStatus, apply_run_changes, run_event_data
from overseer.store.sql.rows import run_from_row, run_to_row
from overseer.store.sql.schema import runs, tasks
from overseer.store.sql.transactions import Transactions


class RunsMixin(Transactions):
    def add_run(self, run: Run, *, actor: str) -> Run:
        with self._write() as conn:
            if conn.execute(sa.select(tasks.c.id).where(tasks.c.id == run.task_id)).first() is None:
                raise TaskNotFound(run.task_id)
            self._insert_run(conn, run, actor)
        return run

    def _insert_run(self, conn: Connection, run: Run, actor: str) -> None:
        if conn.execute(sa.select(runs.c.id).where(runs.c.id == run.id)).first() is not None:
            raise ValidationError("id", f"a run with id {run.id!r} already exists")
        conn.execute(runs.insert(), run_to_row(run))
        self._log(conn, "run.created", run.task_id, actor, {"profile": run.profile, "attempt": run.attempt}, run_id=run.id)

    def _load_run(self, conn: Connection, run_id: str) -> Run:
        row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise RunNotFound(run_id)
        return run_from_row(row)

    def get_run(self, run_id: str) -> Run:
        with self._read() as conn:
            return self._load_run(conn, run_id)

    def update_run(self, run_id: str, changes: Mapping[str, Any], *, actor: str, event: str | None = None) -> Run:
        with self._write() as conn:
            run = apply_run_changes(self._load_run(conn, run_id), changes)
            if changes:
                row = run_to_row(run)
                conn.execute(runs.update().where(runs.c.id == run_id).values(**{k: row[k] for k in changes}))
            if event is not None:
                self._log(conn, event, run.task_id, actor, run_event_data(run, event), run_id=run_id)
            return run

    def list_runs(self, *, task_id: str | None = None, statuses: tuple[RunStatus, ...] | None = None,
                  limit: int | None = None) -> list[Run]:
        stmt = sa.select(runs).order_by(runs.c.created_at.desc(), runs.c.id.desc())
        if task_id is not None:
            stmt = stmt.where(runs.c.task_id == task_id)
        if statuses is not None:
            stmt = stmt.where(runs.c.status.in_([RunStatus(s).value for s in statuses]))
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as conn:
            return [run_from_row(r) for r in conn.execute(stmt).mappings()]
