"""Suppressed team tables remembered by a digest of their counts, so each is worked out once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressed_table",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("hidden", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("suppressed_table")
