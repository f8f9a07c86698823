"""Engines for SQLite (WAL, busy timeout, writers serialised by BEGIN IMMEDIATE) and PostgreSQL (psycopg 3),
and the automatic schema upgrade every store runs when it opens."""

from __future__ import annotations

import fcntl
import os
import select
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from overseer.domain import StoreError

#: Execution option that marks a connection as read-only: on SQLite it begins DEFERRED, not IMMEDIATE.
READ_ONLY = "overseer_read_only"
SQLITE_BUSY_TIMEOUT_S = 60


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` as users write them; drive them with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _wal(cur: Any) -> None:
    """Switch the database to WAL once. WAL is kept in the file, so later connections only read it; the switch itself
    needs a moment alone, and SQLite answers "locked" at once (no busy handler) while other openers hold it: retry."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if url.startswith("postgresql"):
        return _pg_engine(url, **kwargs)
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/DB")


# -- PostgreSQL ----------------------------------------------------------------------------------------
def _pg_engine(url: str, **kwargs: Any) -> Engine:
    pre_ping = kwargs.pop("pool_pre_ping", None)
    engine = sa.create_engine(
        url, pool_pre_ping=bool(pre_ping), pool_size=kwargs.pop("pool_size", 20), max_overflow=kwargs.pop("max_overflow", 20),
        **kwargs,
    )
    event.listen(engine, "connect", _pg_on_connect)
    if pre_ping is None:
        event.listen(engine, "checkout", _pg_check_alive)
    return engine


def _pg_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # The graph queries are short OLTP statements: JIT-compiling a big READY costs more than it saves
    # (70-350 ms measured at 100,000 tasks). ``jit`` exists from PostgreSQL 11 on.
    if dbapi_conn.info.server_version >= 110000:
        dbapi_conn.execute("SET jit = off")
        dbapi_conn.commit()


def _pg_check_alive(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A checkout-time liveness check without a round trip (``pool_pre_ping`` costs one per transaction).

    An idle connection has nothing to read: a readable socket means the server closed it (restart,
    ``pg_terminate_backend``, idle timeout) or sent something we did not ask for. Either way the pool
    drops it and hands out a fresh one. A server that vanished without closing is still caught by the
    next statement, which fails and makes SQLAlchemy invalidate the pool.
    """
    if dbapi_conn.closed or dbapi_conn.broken:
        raise sa.exc.DisconnectionError("connection closed")
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError) as exc:
        raise sa.exc.DisconnectionError(str(exc)) from exc
    if readable:
        raise sa.exc.DisconnectionError("server closed the connection or sent unsolicited data")


# -- SQLite ----------------------------------------------------------------------------------------------
class _WriterGate:
    """One writing transaction at a time per database file *within this process*.

    SQLite admits one writer anyway (BEGIN IMMEDIATE); threads that lose that race sleep in SQLite's busy
    handler (1, 2, 5, 10 ... ms) and the lock often sits free while they sleep. Queueing them on a Python
    lock first hands the database over as soon as the last writer commits. Other processes still meet
    at SQLite's lock, as before.
    """

    def __init__(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._owner: int | None = None

    def acquire(self, timeout: float) -> bool:
        if self._pid != os.getpid():  # forked: whatever the parent held is not ours to wait for
            self._pid, self._lock, self._owner = os.getpid(), threading.Lock(), None
        me = threading.get_ident()
        if self._owner == me:  # a second writer in the same thread: leave it to SQLite, as before
            return False
        if not self._lock.acquire(timeout=timeout):
            return False
        self._owner = me
        return True

    def release(self) -> None:
        if self._pid != os.getpid() or not self._lock.locked():
            return
        self._owner = None
        self._lock.release()


_GATES: dict[str, _WriterGate] = {}
_GATES_GUARD = threading.Lock()


def _gate_for(database: str) -> _WriterGate:
    key = os.path.realpath(database)
    with _GATES_GUARD:
        return _GATES.setdefault(key, _WriterGate())


class _GatedConnection(sqlite3.Connection):
    """A pysqlite connection that opens its writer gate again when its transaction ends, however it ends."""

    _ov_gate: _WriterGate | None = None

    def _ov_open_gate(self) -> None:
        gate, self._ov_gate = self._ov_gate, None
        if gate is not None:
            gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._ov_open_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._ov_open_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._ov_open_gate()


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = sa.engine.make_url(url).database
    gate: _WriterGate | None = None
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        gate = _gate_for(database)
        connect_args["factory"] = _GatedConnection
    engine = sa.create_engine(url, connect_args=connect_args, pool_size=20, max_overflow=20, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        _wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the lock up front, so two processes never deadlock upgrading a read lock
        # (the cause of "database is locked" that a busy timeout cannot cure).
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        dbapi_conn = conn.connection.dbapi_connection
        if gate is not None and isinstance(dbapi_conn, _GatedConnection) and gate.acquire(SQLITE_BUSY_TIMEOUT_S):
            dbapi_conn._ov_gate = gate
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(dbapi_conn, _GatedConnection):
                dbapi_conn._ov_open_gate()
            raise

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; concurrent openers wait for one another."""
    from overseer.store.sql import migrations

    if migrations.current(engine) == migrations.HEAD:
        return
    if engine.dialect.name == "sqlite":
        lock_path = Path(f"{engine.url.database}.migrate.lock") if engine.url.database else None
        if lock_path is None or str(engine.url.database) == ":memory:":
            migrations.upgrade(engine)
            return
        with open(lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                migrations.upgrade(engine)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_lock(7214389)")
        try:
            migrations.upgrade(engine)
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(7214389)")
            conn.commit()


def describe(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{os.path.relpath(str(url.database))}"
    return url.render_as_string(hide_password=True)
