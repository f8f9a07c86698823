"""The transaction plumbing every part of ``SqlStore`` shares: write and read connections, and the event log."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from overseer.store.sql.engine import READ_ONLY
from overseer.store.sql.rows import to_micros
from overseer.store.sql.schema import events


class Transactions:
    _engine: Engine
    _clock: Callable[[], datetime]

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite); an exception rolls everything back."""
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            yield conn
            # End reads with COMMIT, not the pool's ROLLBACK: on PostgreSQL, psycopg forgets a connection's
            # prepared statements on rollback, and every later statement on it would be planned again.
            conn.commit()

    def _log(self, conn: Connection, kind: str, task_id: str | None, actor: str, data: Mapping[str, Any] | None = None,
             *, run_id: str | None = None) -> None:
        """Append an event inside the caller's transaction, so it commits (or not) with the change it records."""
        conn.execute(events.insert(), {"at": to_micros(self._clock()), "kind": kind, "task_id": task_id, "run_id": run_id,
                                       "actor": actor, "data": dict(data or {})})
