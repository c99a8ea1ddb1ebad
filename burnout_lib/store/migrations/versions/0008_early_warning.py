"""The early warning: a model version records how many weeks ahead it looks, and a week without
a check-in stores the model's same-week estimate beside the early-warning probability.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.add_column(sa.Column("horizon_weeks", sa.Integer))
    with op.batch_alter_table("weekly_risk") as batch:
        batch.add_column(sa.Column("estimate_probability", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("weekly_risk") as batch:
        batch.drop_column("estimate_probability")
    with op.batch_alter_table("model_version") as batch:
        batch.drop_column("horizon_weeks")
