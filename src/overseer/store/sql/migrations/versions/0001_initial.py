"""Initial schema: tasks, dependencies, events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tasks",
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
        sa.Column("lease_expires_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("closed_at", sa.BigInteger),
        sa.Column("close_reason", sa.Text),
        sa.Column("extra", Json, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_tasks_ready", "tasks", ["status", "priority", "created_at"])
    op.create_table(
        "deps",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("depends_on", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(256)),
        sa.Column("extra", Json, nullable=False),
    )
    op.create_index("ix_deps_target", "deps", ["depends_on", "type"])
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64)),
        sa.Column("run_id", sa.String(64)),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("data", Json, nullable=False),
    )
    op.create_index("ix_events_task", "events", ["task_id", "seq"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("deps")
    op.drop_table("tasks")
