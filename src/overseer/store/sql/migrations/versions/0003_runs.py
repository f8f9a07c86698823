"""Runs: one agent attempt on one task.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "runs",
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
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("ended_at", sa.BigInteger),
        sa.Column("heartbeat_at", sa.BigInteger),
    )
    op.create_index("ix_runs_task", "runs", ["task_id", "created_at"])
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_table("runs")
