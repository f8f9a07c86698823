"""Verification and landing: a run's verdict, stage results and where it landed; a task's integration branch and gates.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("verdict", sa.String(32)))
        batch.add_column(sa.Column("stages", Json, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("target", sa.String(256)))
        batch.add_column(sa.Column("landed_commit", sa.String(64)))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("branch", sa.String(256)))
        batch.add_column(sa.Column("gates", Json, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("gates")
        batch.drop_column("branch")
    with op.batch_alter_table("runs") as batch:
        for name in ("landed_commit", "target", "stages", "verdict"):
            batch.drop_column(name)
