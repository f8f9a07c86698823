"""Index of all tasks in list order (priority, created_at, id), so a page of ``list_tasks`` is an ordered walk.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_order", "tasks", ["priority", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_order", table_name="tasks")
