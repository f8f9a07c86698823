"""Shared fixtures: a clock tests can move, and one ``store`` fixture over every TaskStore adapter.

The contract suite asks for ``store`` and runs three times: ``memory``, ``sqlite`` and ``postgres``.
PostgreSQL is real (``make test`` starts it); when it cannot be reached the postgres tests fail, never skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from overseer.domain import Task
from overseer.ports import TaskStore
from overseer.store.memory import InMemoryStore
from overseer.store.sql.engine import make_engine, sqlite_url
from overseer.store.sql.store import SqlStore

PG_SERVER_URL = os.environ.get("OVERSEER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_TEST_DB = "overseer_test"
PG_LOCK_KEY, PG_SLOTS = 7_214_390, 16  # advisory lock (key, slot) a test run holds on its database
STORE_NAMES = ["memory", "sqlite", "postgres"]
SQL_STORE_NAMES = ["sqlite", "postgres"]


def store_params(names: list[str]) -> list[Any]:
    """``pytest.param`` per store name, the postgres one marked so ``-m 'not postgres'`` can leave it out."""
    return [pytest.param(n, id=n, marks=pytest.mark.postgres) if n == "postgres" else pytest.param(n, id=n) for n in names]


class Clock:
    """A clock that only moves when told: ``clock()`` is now, ``clock.advance(seconds)`` moves it on."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


START = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def new_task() -> Callable[..., Task]:
    """Build a Task; each one is a second younger than the one before, so age order is creation order."""
    ages = count()

    def build(task_id: str, **fields: Any) -> Task:
        fields.setdefault("title", f"task {task_id}")
        fields.setdefault("created_at", START - timedelta(days=1) + timedelta(seconds=next(ages)))
        fields.setdefault("updated_at", fields["created_at"])
        return Task(id=task_id, **fields)

    return build


# -- PostgreSQL -------------------------------------------------------------------------------------
def database_url(server_url: str, database: str) -> str:
    return sa.engine.make_url(server_url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The server's maintenance URL, after checking the server answers. Unreachable is a failure, not a skip."""
    engine = make_engine(PG_SERVER_URL, connect_args={"connect_timeout": 5})
    problem = None
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        problem = " ".join(str(exc.orig).split())
    finally:
        engine.dispose()
    if problem:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_SERVER_URL}: {problem}\n"
            "Run the tests with `make test`, which starts the server, or point OVERSEER_TEST_PG_URL at a running one.",
            pytrace=False,
        )
    return PG_SERVER_URL


def create_database(server_url: str, database: str, *, fresh: bool = False) -> str:
    """Create ``database`` on the server if missing (dropped first when ``fresh``); return its URL."""
    engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if fresh:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    finally:
        engine.dispose()
    return database_url(server_url, database)


def drop_database(server_url: str, database: str) -> None:
    engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_database(pg_server_url: str) -> Iterator[str]:
    """This session's database name: ``overseer_test``, or ``overseer_test_N`` while other test runs hold the lower ones.

    Test runs started side by side (several engineers, one tree) would otherwise truncate each other's tables.
    Each run holds a session advisory lock on its slot until it ends, so names are reused, never shared.
    """
    engine = make_engine(pg_server_url, isolation_level="AUTOCOMMIT", pool_size=1)
    conn = engine.connect()
    try_lock = sa.text("SELECT pg_try_advisory_lock(:k, :n)")
    slot = next((n for n in range(PG_SLOTS) if conn.execute(try_lock, {"k": PG_LOCK_KEY, "n": n}).scalar()), None)
    if slot is None:
        conn.close()
        engine.dispose()
        pytest.fail(f"{PG_SLOTS} other test runs hold every test database on {PG_SERVER_URL}; wait for them to finish", pytrace=False)
    yield PG_TEST_DB if slot == 0 else f"{PG_TEST_DB}_{slot}"
    conn.execute(sa.text("SELECT pg_advisory_unlock(:k, :n)"), {"k": PG_LOCK_KEY, "n": slot})
    conn.close()
    engine.dispose()


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str, pg_database: str) -> str:
    """URL of this session's test database, created if missing and migrated to the newest schema."""
    url = create_database(pg_server_url, pg_database)
    SqlStore(make_engine(url)).close()
    return url


@pytest.fixture(scope="session")
def pg_truncate(pg_url: str) -> Iterator[Callable[[], None]]:
    """Empty every table of the test database (through one engine for the whole session)."""
    engine = make_engine(pg_url, pool_size=1)

    def truncate() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE tasks, deps, events, runs, usage, provider_parks, knowledge RESTART IDENTITY")

    yield truncate
    engine.dispose()


# -- SQLite ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating every time (as a template database)."""
    path = tmp_path_factory.mktemp("template") / "overseer.db"
    SqlStore(make_engine(sqlite_url(path))).close()
    return path


def fresh_sqlite(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return sqlite_url(path)


# -- the store ------------------------------------------------------------------------------------
def open_store(name: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Callable[[], datetime]) -> TaskStore:
    if name == "memory":
        return InMemoryStore(clock)
    if name == "sqlite":
        url = fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "overseer.db")
        return SqlStore(make_engine(url), clock)
    request.getfixturevalue("pg_truncate")()
    return SqlStore(make_engine(request.getfixturevalue("pg_url")), clock)


@pytest.fixture(params=store_params(STORE_NAMES))
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[TaskStore]:
    """Every TaskStore adapter in turn, empty, on the controllable ``clock``."""
    opened = open_store(request.param, request, tmp_path, clock)
    yield opened
    opened.close()


@pytest.fixture(params=store_params(SQL_STORE_NAMES))
def sql_store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[SqlStore]:
    """The SQL store on SQLite and on PostgreSQL, empty, on the controllable ``clock``."""
    opened = open_store(request.param, request, tmp_path, clock)
    assert isinstance(opened, SqlStore)
    yield opened
    opened.close()


@pytest.fixture(params=store_params(SQL_STORE_NAMES))
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even a schema: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "fresh.db")
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"{request.getfixturevalue('pg_database')}_fresh"
    yield create_database(server, name, fresh=True)
    drop_database(server, name)
