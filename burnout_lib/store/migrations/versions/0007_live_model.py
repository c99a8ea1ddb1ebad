"""One model version is live: scoring, pages, reports and alerts use it, and only promotion
changes it. The newest model of an existing database goes live, so nothing it shows changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.add_column(sa.Column("live", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("promoted_at", sa.DateTime(timezone=True)))
    versions = sa.table(
        "model_version", sa.column("id"), sa.column("trained_at"), sa.column("live")
    )
    bind = op.get_bind()
    newest = bind.execute(
        sa.select(versions.c.id)
        .order_by(versions.c.trained_at.desc(), versions.c.id.desc())
        .limit(1)
    ).scalar()
    if newest is not None:
        bind.execute(versions.update().where(versions.c.id == newest).values(live=True))


def downgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.drop_column("promoted_at")
        batch.drop_column("live")
