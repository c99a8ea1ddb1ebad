"""Indexes for the dashboard and report: risk by model and week, staff by unit and role.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the newest model, its scored weeks and a week's scores without reading the whole table
    op.create_index(
        "ix_weekly_risk_model_version_id_week_start",
        "weekly_risk",
        ["model_version_id", "week_start"],
    )
    # a team (unit, optionally role) without scanning all staff
    op.create_index("ix_staff_unit_role", "staff", ["unit", "role"])


def downgrade() -> None:
    op.drop_index("ix_staff_unit_role", table_name="staff")
    op.drop_index("ix_weekly_risk_model_version_id_week_start", table_name="weekly_risk")
