"""The knowledge store ("brain") in the SQL store: a mixin of ``SqlStore``, so entries and their events share its
transactions.

Full-text search never hands a person's query to the engine: ``domain.knowledge.query_words`` takes its words, and
each engine gets them quoted as plain terms, any of which may match.

- SQLite: the FTS5 table ``knowledge_fts`` (kept in step by triggers, see migration 0007); each word double-quoted,
  joined with ``OR``; ranked by ``bm25`` with the title weighted above the tags above the body.
- PostgreSQL: the weighted ``tsvector`` expression of the GIN index ``ix_knowledge_search``; one
  ``plainto_tsquery`` per word, joined with ``||`` (or); ranked by ``ts_rank`` (title A, tags B, body D).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from overseer.domain import KnowledgeNotFound, ValidationError
from overseer.domain.knowledge import (
    ADDED,
    DELETED,
    WEIGHTS,
    KnowledgeEntry,
    check_page,
    new_knowledge_id,
    normalise_tags,
    prepared,
    query_words,
)
from overseer.store.sql.rows import from_micros, to_micros
from overseer.store.sql.schema import knowledge
from overseer.store.sql.transactions import Transactions

#: Word for word the expression of the index ``ix_knowledge_search`` (migration 0007): PostgreSQL uses an expression
#: index only for the same expression.
PG_VECTOR = ("(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', tags), 'B') || "
             "setweight(to_tsvector('english', body), 'D'))")
_BM25 = f"bm25(knowledge_fts, {WEIGHTS['title']}, {WEIGHTS['tags']}, {WEIGHTS['body']})"
_COLUMNS = ", ".join(f"k.{c.name}" for c in knowledge.c)

SQLITE_SEARCH = (f"SELECT {_COLUMNS}, -{_BM25} AS score FROM knowledge_fts JOIN knowledge AS k ON k.seq = knowledge_fts.rowid "
                 "WHERE knowledge_fts MATCH :match{tags} ORDER BY score DESC, k.id LIMIT :limit")
PG_SEARCH = (f"SELECT {_COLUMNS}, ts_rank({PG_VECTOR}, {{query}}) AS score FROM knowledge AS k "
             f"WHERE {PG_VECTOR} @@ ({{query}}){{tags}} ORDER BY score DESC, k.id LIMIT :limit")


def knowledge_to_row(entry: KnowledgeEntry) -> dict[str, Any]:
    assert entry.created_at is not None, "prepared() fills created_at"
    return {"id": entry.id, "title": entry.title, "tags": " ".join(entry.tags), "body": entry.body, "source_run": entry.source_run,
            "source_task": entry.source_task, "created_at": to_micros(entry.created_at), "created_by": entry.created_by}


def knowledge_from_row(row: Mapping[Any, Any]) -> KnowledgeEntry:
    score = row.get("score")
    return KnowledgeEntry(id=row["id"], title=row["title"], body=row["body"], tags=tuple(row["tags"].split()),
                          source_run=row["source_run"], source_task=row["source_task"], created_at=from_micros(row["created_at"]),
                          created_by=row["created_by"], score=None if score is None else float(score))


def match_expression(words: Sequence[str]) -> str:
    """FTS5 query: each word a quoted string (operators, ``*``, ``:``, parentheses inside are only text), any may match."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def tag_pattern(tag: str) -> str:
    """A LIKE pattern matching ``tag`` as one whole word of the space-separated ``tags`` column (``_`` escaped)."""
    return "% " + tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %"


def _has_tag(column: str, param: str) -> str:
    return f" AND (' ' || {column} || ' ') LIKE :{param} ESCAPE '\\'"


class KnowledgeMixin(Transactions):
    _pg: bool

    def _knowledge_row(self, conn: Connection, entry_id: str) -> Mapping[Any, Any] | None:
        return conn.execute(sa.select(knowledge).where(knowledge.c.id == entry_id)).mappings().first()

    def add_knowledge(self, entry: KnowledgeEntry, *, actor: str) -> KnowledgeEntry:
        ready = prepared(entry, now=self._clock(), actor=actor)
        with self._write() as conn:
            if not ready.id:
                ready = replace(ready, id=next(i for i in iter(new_knowledge_id, None) if self._knowledge_row(conn, i) is None))
            elif self._knowledge_row(conn, ready.id) is not None:
                raise ValidationError("id", f"a knowledge entry with id {ready.id!r} already exists")
            try:
                conn.execute(knowledge.insert(), knowledge_to_row(ready))
            except sa.exc.IntegrityError:  # added by another writer since the check (PostgreSQL)
                raise ValidationError("id", f"a knowledge entry with id {ready.id!r} already exists") from None
            self._log(conn, ADDED, None, actor, {"id": ready.id, "title": ready.title, "tags": list(ready.tags),
                                                 "source_run": ready.source_run})
        return ready

    def get_knowledge(self, entry_id: str) -> KnowledgeEntry:
        with self._read() as conn:
            row = self._knowledge_row(conn, entry_id)
        if row is None:
            raise KnowledgeNotFound(entry_id)
        return knowledge_from_row(row)

    def search_knowledge(self, query: str, *, limit: int = 5, tags: tuple[str, ...] = ()) -> list[KnowledgeEntry]:
        check_page(limit)
        wanted = normalise_tags(tags)
        words = query_words(query)
        if not words:
            return []
        params: dict[str, Any] = {"limit": limit, **{f"tag{i}": tag_pattern(t) for i, t in enumerate(wanted)}}
        tag_sql = "".join(_has_tag("k.tags", f"tag{i}") for i in range(len(wanted)))
        if self._pg:
            params.update({f"w{i}": w for i, w in enumerate(words)})
            tsquery = " || ".join(f"plainto_tsquery('english', :w{i})" for i in range(len(words)))
            sql = PG_SEARCH.format(query=tsquery, tags=tag_sql)
        else:
            params["match"] = match_expression(words)
            sql = SQLITE_SEARCH.format(tags=tag_sql)
        with self._read() as conn:
            return [knowledge_from_row(r) for r in conn.execute(sa.text(sql), params).mappings()]

    def list_knowledge(self, *, limit: int = 50, offset: int = 0, tag: str | None = None) -> list[KnowledgeEntry]:
        check_page(limit, offset)
        stmt = sa.select(knowledge).order_by(knowledge.c.created_at.desc(), knowledge.c.seq.desc()).limit(limit).offset(offset)
        if tag is not None:
            (wanted,) = normalise_tags([tag])
            stmt = stmt.where((sa.literal(" ") + knowledge.c.tags + " ").like(tag_pattern(wanted), escape="\\"))
        with self._read() as conn:
            return [knowledge_from_row(r) for r in conn.execute(stmt).mappings()]

    def delete_knowledge(self, entry_id: str, *, actor: str) -> None:
        with self._write() as conn:
            row = self._knowledge_row(conn, entry_id)
            if row is None:
                raise KnowledgeNotFound(entry_id)
            conn.execute(knowledge.delete().where(knowledge.c.id == entry_id))
            self._log(conn, DELETED, None, actor, {"id": entry_id, "title": row["title"]})
