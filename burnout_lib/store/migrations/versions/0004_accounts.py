"""Accounts (which login may use the product, in which role) and the log of pages opened.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=True),
        sa.Column("units", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("login", name="uq_account_login"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_account_staff_id_staff", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_account_staff_id", "account", ["staff_id"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("viewer_login", sa.String(200), nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_access_log_staff_id_staff", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_access_log_staff_id", "access_log", ["staff_id"])
    op.create_index("ix_access_log_viewer_login", "access_log", ["viewer_login"])


def downgrade() -> None:
    op.drop_table("access_log")
    op.drop_table("account")
