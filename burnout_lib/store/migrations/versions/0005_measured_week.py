"""A weekly score keeps the person's own check-in of that week and its CBI band beside the model's
probability, so a page never contradicts what the person told us.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("weekly_risk") as batch:
        batch.add_column(sa.Column("checkin_score", sa.Float))
        batch.add_column(sa.Column("measured_band", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("weekly_risk") as batch:
        batch.drop_column("measured_band")
        batch.drop_column("checkin_score")
