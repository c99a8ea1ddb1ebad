"""An alert stays open until someone acknowledges it or the person's level falls back: the week it
was resolved in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("resolved_week", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("resolved_week")
