"""Engines for SQLite (WAL, busy timeout, writers serialised by BEGIN IMMEDIATE) and PostgreSQL (psycopg 3),
and the automatic schema upgrade every store runs when it opens."""

from __future__ import annotations

import fcntl
import os
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


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if url.startswith("postgresql"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=kwargs.pop("pool_size", 20), max_overflow=20, **kwargs)
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/DB")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}, pool_size=20, max_overflow=20, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the lock up front, so two processes never deadlock upgrading a read lock
        # (the cause of "database is locked" that a busy timeout cannot cure).
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

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
