"""The facial channel's consent is called `face`, its one name everywhere (it was `recording`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE consent SET channel = 'face' WHERE channel = 'recording'")


def downgrade() -> None:
    op.execute("UPDATE consent SET channel = 'recording' WHERE channel = 'face'")
