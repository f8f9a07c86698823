"""Partial index of claimable tasks in ready order, for claim_next and ready.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copy of schema.CLAIMABLE_WHERE as of this revision (queries repeat it verbatim).
CLAIMABLE_WHERE = "status IN ('claimed', 'open') AND hold IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_tasks_claimable",
        "tasks",
        ["priority", "created_at", "id", "status", "lease_expires_at", "kind"],
        sqlite_where=sa.text(CLAIMABLE_WHERE),
        postgresql_where=sa.text(CLAIMABLE_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_claimable", table_name="tasks")
