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
from overseer.store.sql.schema import declared_here, metadata
from overseer.store.sql.store import SqlStore

SCHEMA_CHANGES = ("CREATE", "ALTER", "DROP", "INSERT INTO ALEMBIC_VERSION", "UPDATE ALEMBIC_VERSION")


def schema_diffs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                         "include_name": declared_here})
        return list(compare_metadata(context, metadata))


def tables(engine: Engine) -> set[str]:
    """Every table, the full-text engine's own (SQLite's FTS5 shadow tables) left out."""
    with engine.connect() as conn:
        return {t for t in sa.inspect(conn).get_table_names() if declared_here(t, "table")}


def full_text_objects(engine: Engine) -> set[str]:
    """What the full-text search is made of: SQLite's FTS5 table and its triggers, or PostgreSQL's GIN index."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE name LIKE 'knowledge_fts%' AND type IN ('table', 'trigger')"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'knowledge' AND indexname = 'ix_knowledge_search'"
        return set(conn.exec_driver_sql(sql).scalars())


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
        assert tables(engine) == {"tasks", "deps", "events", "runs", "usage", "provider_parks", "knowledge", "alembic_version"}
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_the_full_text_objects_that_schema_py_cannot_declare_are_made_by_the_migrations_and_removed_by_them(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        SqlStore(engine)
        fts5 = {"knowledge_fts", *(f"knowledge_fts_{shadow}" for shadow in ("data", "idx", "docsize", "config"))}
        triggers = {"knowledge_fts_insert", "knowledge_fts_delete", "knowledge_fts_update"}
        expected = fts5 | triggers if engine.dialect.name == "sqlite" else {"ix_knowledge_search"}
        assert full_text_objects(engine) == expected
        command.downgrade(migrations.config(engine), "0006")
        assert full_text_objects(engine) == set() and "knowledge" not in tables(engine)
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
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}  # no full-text table left behind
        assert migrations.current(engine) is None
    finally:
        engine.dispose()
