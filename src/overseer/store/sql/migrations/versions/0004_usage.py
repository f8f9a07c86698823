"""The usage ledger and provider parks.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("at", sa.BigInteger, nullable=False),
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
    )
    op.create_index("ix_usage_provider_at", "usage", ["provider", "at"])
    op.create_index("ix_usage_task", "usage", ["task_id"])
    op.create_table(
        "provider_parks",
        sa.Column("provider", sa.String(128), primary_key=True),
        sa.Column("until", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("provider_parks")
    op.drop_index("ix_usage_task", table_name="usage")
    op.drop_index("ix_usage_provider_at", table_name="usage")
    op.drop_table("usage")
