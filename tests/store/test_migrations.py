"""Alembic migrations and ``schema.py`` describe the same database, and opening a store migrates once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from overseer.domain import Task
from overseer.store.sql import migrations
from overseer.store.sql.engine import make_engine
from overseer.store.sql.schema import metadata
from overseer.store.sql.store import SqlStore

SCHEMA_CHANGES = ("CREATE", "ALTER", "DROP", "INSERT INTO ALEMBIC_VERSION", "UPDATE ALEMBIC_VERSION")


def schema_diffs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def statements_while(engine: Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: seen.append(" ".join(sql.split()).upper()))
    return seen


def test_the_migrations_build_exactly_the_tables_that_schema_py_declares(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert tables(engine) == set()
        SqlStore(engine)
        assert migrations.current(engine) == migrations.HEAD
        assert tables(engine) == {"tasks", "deps", "events", "runs", "usage", "provider_parks", "alembic_version"}
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_opening_a_migrated_database_again_changes_no_schema_and_keeps_the_data(empty_database_url: str) -> None:
    first = SqlStore(make_engine(empty_database_url))
    first.add_task(Task(id="ov-1", title="survives"), actor="alice")
    first.close()
    engine = make_engine(empty_database_url)
    seen = statements_while(engine)
    second = SqlStore(engine)
    try:
        assert seen, "the second open should at least read the schema version"
        assert [s for s in seen if s.startswith(SCHEMA_CHANGES)] == []
        assert second.get_task("ov-1").title == "survives"
    finally:
        second.close()


def test_many_stores_opening_a_new_database_at_once_all_work_and_migrate_it_once(empty_database_url: str) -> None:
    opened = 6
    start = threading.Barrier(opened)
    engines = [make_engine(empty_database_url) for _ in range(opened)]
    ddl = [statements_while(e) for e in engines]

    def open_and_add(n: int) -> str:
        start.wait(timeout=30)
        store = SqlStore(engines[n])
        return store.add_task(Task(id=f"ov-{n}", title=f"from opener {n}"), actor=f"opener-{n}").id

    try:
        with ThreadPoolExecutor(opened) as pool:
            added = list(pool.map(open_and_add, range(opened)))
        creates = [s for seen in ddl for s in seen if s.startswith("CREATE TABLE TASKS")]
        assert len(creates) == 1
        assert sorted(added) == [f"ov-{n}" for n in range(opened)]
    finally:
        for e in engines:
            e.dispose()


def test_the_migrations_downgrade_to_an_empty_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        SqlStore(engine)
        command.downgrade(migrations.config(engine), "base")
        assert tables(engine) <= {"alembic_version"}
        assert migrations.current(engine) is None
    finally:
        engine.dispose()
