"""Tables of the SQL store (SQLAlchemy Core). Times are integer microseconds since the epoch (UTC).

Change a table here and add an Alembic revision under ``migrations/versions`` in the same commit;
``tests/store/test_migrations.py`` fails when the two disagree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Micros = sa.BigInteger
EventSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Rows that can become ready: ``ix_tasks_claimable`` holds only these, in ready order (priority, created_at,
#: id) with what the claimable test reads, so picking the next task is an ordered walk that stops early.
#: ``queries`` repeats this predicate word for word (SQLite needs that to use a partial index).
CLAIMABLE_WHERE = "status IN ('claimed', 'open') AND hold IS NULL"

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("work_type", sa.String(32), nullable=False),
    sa.Column("complexity", sa.String(16), nullable=False),
    sa.Column("labels", Json, nullable=False),
    sa.Column("acceptance", Json, nullable=False),
    sa.Column("file_hints", Json, nullable=False),
    sa.Column("budget", Json, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("profile", sa.String(128)),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("hold", sa.Text),
    sa.Column("claimed_by", sa.String(256)),
    sa.Column("lease_expires_at", Micros),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    sa.Column("closed_at", Micros),
    sa.Column("close_reason", sa.Text),
    sa.Column("extra", Json, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("branch", sa.String(256)),
    sa.Column("gates", Json, nullable=False, server_default="[]"),
    sa.Index("ix_tasks_ready", "status", "priority", "created_at"),
    sa.Index("ix_tasks_order", "priority", "created_at", "id"),  # list_tasks pages: an ordered walk, no sort of every row
    sa.Index(
        "ix_tasks_claimable", "priority", "created_at", "id", "status", "lease_expires_at", "kind",
        sqlite_where=sa.text(CLAIMABLE_WHERE), postgresql_where=sa.text(CLAIMABLE_WHERE),
    ),
)

deps = sa.Table(
    "deps",
    metadata,
    sa.Column("task_id", sa.String(64), primary_key=True),
    sa.Column("depends_on", sa.String(64), primary_key=True),
    sa.Column("type", sa.String(64), primary_key=True),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("created_by", sa.String(256)),
    sa.Column("extra", Json, nullable=False),
    sa.Index("ix_deps_target", "depends_on", "type"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", EventSeq, primary_key=True, autoincrement=True),
    sa.Column("at", Micros, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("task_id", sa.String(64)),
    sa.Column("run_id", sa.String(64)),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Index("ix_events_task", "task_id", "seq"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("profile", sa.String(128), nullable=False),
    sa.Column("harness", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("exit_reason", sa.String(32)),
    sa.Column("exit_code", sa.Integer),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("branch", sa.String(256)),
    sa.Column("worktree", sa.Text),
    sa.Column("base_commit", sa.String(64)),
    sa.Column("head_commit", sa.String(64)),
    sa.Column("diff_stat", Json, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("worker", sa.String(256)),
    sa.Column("tokens_in", sa.BigInteger, nullable=False),
    sa.Column("tokens_out", sa.BigInteger, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("turns", sa.Integer, nullable=False),
    sa.Column("session_id", sa.String(256)),
    sa.Column("error", sa.Text),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("started_at", Micros),
    sa.Column("ended_at", Micros),
    sa.Column("heartbeat_at", Micros),
    sa.Column("verdict", sa.String(32)),
    sa.Column("stages", Json, nullable=False, server_default="[]"),
    sa.Column("target", sa.String(256)),
    sa.Column("landed_commit", sa.String(64)),
    sa.Index("ix_runs_task", "task_id", "created_at"),
    sa.Index("ix_runs_status", "status"),
)

#: The usage ledger: one row per run or model call, taken from one provider (``acquire``, then ``settle``).
usage = sa.Table(
    "usage",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("at", Micros, nullable=False),
    sa.Column("provider", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("model", sa.String(256)),
    sa.Column("profile", sa.String(128)),
    sa.Column("task_id", sa.String(64)),
    sa.Column("run_id", sa.String(64)),
    sa.Column("runs", sa.Integer, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("tokens_in", sa.BigInteger, nullable=False),
    sa.Column("tokens_out", sa.BigInteger, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("emergency", sa.Boolean, nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Index("ix_usage_provider_at", "provider", "at"),
    sa.Index("ix_usage_task", "task_id"),
)

#: Providers that said their limit is reached: one row each, until ``until``.
provider_parks = sa.Table(
    "provider_parks",
    metadata,
    sa.Column("provider", sa.String(128), primary_key=True),
    sa.Column("until", Micros, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", Micros, nullable=False),
)

#: The knowledge store ("brain"): markdown entries. ``seq`` is the row id the full-text index refers to (SQLite FTS5's
#: ``content_rowid``: a rowid alias, so it survives VACUUM); ``tags`` are space-separated (a tag has no spaces).
knowledge = sa.Table(
    "knowledge",
    metadata,
    sa.Column("seq", EventSeq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("source_run", sa.String(64)),
    sa.Column("source_task", sa.String(64)),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Index("ux_knowledge_id", "id", unique=True),
    sa.Index("ix_knowledge_created", "created_at"),
)

#: Full-text search objects the engines own, made by the ``0007`` migration and not declared above, because
#: SQLAlchemy cannot describe them: SQLite's FTS5 table ``knowledge_fts`` (with its shadow tables
#: ``knowledge_fts_*`` and the triggers that keep it in step with ``knowledge``) and PostgreSQL's GIN expression
#: index ``ix_knowledge_search``. Schema comparisons (autogenerate, ``tests/store/test_migrations.py``) skip them.
FULL_TEXT_TABLE = "knowledge_fts"
FULL_TEXT_INDEX = "ix_knowledge_search"


def declared_here(name: str | None, type_: str, _parents: object = None) -> bool:
    """Whether a database object is one ``schema.py`` declares, i.e. not a full-text object (Alembic's ``include_name``)."""
    if name is None:
        return True
    if type_ == "table":
        return not (name == FULL_TEXT_TABLE or name.startswith(FULL_TEXT_TABLE + "_"))
    return not (type_ == "index" and name == FULL_TEXT_INDEX)
