"""The knowledge store ("brain"): the ``knowledge`` table and its full-text search.

SQLite: an external-content FTS5 table ``knowledge_fts`` over title, tags and body (porter stemming, diacritics
folded), its row id ``knowledge.seq``, kept in step by triggers. PostgreSQL: a GIN index on the weighted
``tsvector`` expression the store queries (title A, tags B, body D). ``schema.declared_here`` names both, so schema
comparisons leave them out.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Word for word the expression ``store/sql/knowledge.py`` searches (PostgreSQL uses the index only when they match).
PG_VECTOR = ("(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', tags), 'B') || "
             "setweight(to_tsvector('english', body), 'D'))")

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, tags, body, content='knowledge', content_rowid='seq', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge BEGIN "
    "INSERT INTO knowledge_fts(rowid, title, tags, body) VALUES (new.seq, new.title, new.tags, new.body); END",
    "CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, title, tags, body) VALUES ('delete', old.seq, old.title, old.tags, old.body); END",
    "CREATE TRIGGER knowledge_fts_update AFTER UPDATE ON knowledge BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, title, tags, body) VALUES ('delete', old.seq, old.title, old.tags, old.body); "
    "INSERT INTO knowledge_fts(rowid, title, tags, body) VALUES (new.seq, new.title, new.tags, new.body); END",
]


def upgrade() -> None:
    op.create_table(
        "knowledge",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("source_run", sa.String(64)),
        sa.Column("source_task", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
    )
    op.create_index("ux_knowledge_id", "knowledge", ["id"], unique=True)
    op.create_index("ix_knowledge_created", "knowledge", ["created_at"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(f"CREATE INDEX ix_knowledge_search ON knowledge USING gin ({PG_VECTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("knowledge_fts_update", "knowledge_fts_delete", "knowledge_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_knowledge_search")
    op.drop_index("ix_knowledge_created", table_name="knowledge")
    op.drop_index("ux_knowledge_id", table_name="knowledge")
    op.drop_table("knowledge")
