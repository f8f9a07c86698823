"""The knowledge store's full text on the SQL stores: searches go through the engines' full-text index, words are
stemmed, and the index follows the table however a row changes."""

from __future__ import annotations

import sqlalchemy as sa

from overseer.domain.knowledge import KnowledgeEntry
from overseer.store.sql.knowledge import PG_SEARCH, SQLITE_SEARCH, match_expression, tag_pattern
from overseer.store.sql.store import SqlStore


def add(store: SqlStore, title: str, body: str, *tags: str) -> KnowledgeEntry:
    return store.add_knowledge(KnowledgeEntry(id="", title=title, body=body, tags=tags), actor="alice")


def test_the_match_expression_quotes_every_word_so_operators_are_only_text() -> None:
    assert match_expression(["near", "or", "col"]) == '"near" OR "or" OR "col"'
    assert match_expression(['say"what']) == '"say""what"'  # a quote inside a word is doubled, as FTS5 wants


def test_a_tag_pattern_matches_the_whole_tag_with_like_wildcards_escaped() -> None:
    assert tag_pattern("even_n") == "% even\\_n %"


def test_a_search_is_answered_by_the_full_text_index_not_a_scan_of_the_table(sql_store: SqlStore) -> None:
    add(sql_store, "Alembic revisions", "one file per change", "db")
    with sql_store.engine.connect() as conn:
        if sql_store.engine.dialect.name == "sqlite":
            sql = SQLITE_SEARCH.format(tags="")
            plan = " ".join(str(r) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql), {"match": '"alembic"', "limit": 5}))
            assert "VIRTUAL TABLE INDEX" in plan
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table would be scanned whatever indexes exist
            sql = PG_SEARCH.format(query="plainto_tsquery('english', :w0)", tags="")
            plan = " ".join(str(r) for r in conn.execute(sa.text("EXPLAIN " + sql), {"w0": "alembic", "limit": 5}))
            assert "ix_knowledge_search" in plan
        conn.rollback()


def test_words_are_stemmed_so_a_singular_finds_a_plural(sql_store: SqlStore) -> None:
    entry = add(sql_store, "Running migrations", "Migrations run at start-up.")
    assert [e.id for e in sql_store.search_knowledge("migration runs")] == [entry.id]


def test_the_full_text_index_follows_rows_changed_or_removed_outside_the_store(sql_store: SqlStore) -> None:
    entry = add(sql_store, "Old title", "old body words")
    with sql_store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE knowledge SET title = 'Fresh title', body = 'new body words' WHERE id = :id"), {"id": entry.id})
    assert sql_store.search_knowledge("old") == []
    assert [e.title for e in sql_store.search_knowledge("fresh")] == ["Fresh title"]
    with sql_store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM knowledge WHERE id = :id"), {"id": entry.id})
    assert sql_store.search_knowledge("fresh") == []
