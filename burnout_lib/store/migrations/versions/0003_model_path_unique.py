"""A model version is keyed by its file, so recording it again (a retried write) stores it once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.create_unique_constraint("uq_model_version_path", ["path"])


def downgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.drop_constraint("uq_model_version_path", type_="unique")
