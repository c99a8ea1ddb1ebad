"""The core tables: staff, consent, recording, expression summary, check-in, risk, alert, model.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: Hume's 48 face expressions as column-safe names, frozen as of this revision.
EXPRESSION_SLUGS = (
    "admiration", "adoration", "aesthetic_appreciation", "amusement", "anger", "anxiety", "awe",
    "awkwardness", "boredom", "calmness", "concentration", "confusion", "contemplation", "contempt",
    "contentment", "craving", "desire", "determination", "disappointment", "disgust", "distress",
    "doubt", "ecstasy", "embarrassment", "empathic_pain", "entrancement", "envy", "excitement",
    "fear", "guilt", "horror", "interest", "joy", "love", "nostalgia", "pain", "pride",
    "realization", "relief", "romance", "sadness", "satisfaction", "shame", "surprise_negative",
    "surprise_positive", "sympathy", "tiredness", "triumph",
)  # fmt: skip
SUMMARY_STATS = ("mean", "p90", "std")
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("shift_pattern", sa.String(32)),
        sa.Column("start_date", sa.Date),
        sa.Column("created_at", TZ, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("pseudonym", name="uq_staff_pseudonym"),
    )
    op.create_index("ix_staff_unit", "staff", ["unit"])

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], ondelete="CASCADE", name="fk_consent_staff_id_staff"
        ),
        sa.UniqueConstraint("staff_id", "channel", name="uq_consent_staff_id_channel"),
    )
    op.create_index("ix_consent_staff_id", "consent", ["staff_id"])

    op.create_table(
        "recording",
        sa.Column("id", sa.Integer),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="done"),
        sa.Column("hume_request_ids", sa.JSON),
        sa.Column("hume_run_ids", sa.JSON),
        sa.Column("frames", sa.Integer, nullable=False, server_default="0"),
        sa.Column("faces", sa.Integer, nullable=False, server_default="0"),
        sa.Column("face_choice", sa.String(128)),
        sa.Column("frames_path", sa.String(512)),
        sa.Column("created_at", TZ, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_recording"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], ondelete="CASCADE", name="fk_recording_staff_id_staff"
        ),
        sa.UniqueConstraint("sha256", name="uq_recording_sha256"),
    )
    op.create_index("ix_recording_staff_id", "recording", ["staff_id"])
    op.create_index("ix_recording_week_start", "recording", ["week_start"])
    op.create_index("ix_recording_staff_week", "recording", ["staff_id", "week_start"])

    op.create_table(
        "expression_summary",
        sa.Column("recording_id", sa.Integer),
        sa.Column("frames_used", sa.Integer, nullable=False),
        *[
            sa.Column(f"{name}_{stat}", sa.Float)
            for name in EXPRESSION_SLUGS
            for stat in SUMMARY_STATS
        ],
        sa.Column("extra", sa.JSON),
        sa.PrimaryKeyConstraint("recording_id", name="pk_expression_summary"),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            ondelete="CASCADE",
            name="fk_expression_summary_recording_id_recording",
        ),
    )

    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("answered_at", TZ),
        *[sa.Column(f"personal_{i}", sa.SmallInteger) for i in range(1, 7)],
        *[sa.Column(f"work_{i}", sa.SmallInteger) for i in range(1, 8)],
        sa.Column("score", sa.Float),
        sa.Column("work_score", sa.Float),
        sa.Column("source", sa.String(16), nullable=False, server_default="import"),
        sa.PrimaryKeyConstraint("id", name="pk_checkin"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], ondelete="CASCADE", name="fk_checkin_staff_id_staff"
        ),
        sa.UniqueConstraint("staff_id", "week_start", name="uq_checkin_staff_id_week_start"),
    )
    op.create_index("ix_checkin_staff_id", "checkin", ["staff_id"])
    op.create_index("ix_checkin_week_start", "checkin", ["week_start"])

    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer),
        sa.Column("trained_at", TZ, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("feature_set", sa.JSON, nullable=False),
        sa.Column("data_window", sa.JSON),
        sa.Column("library_versions", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_model_version"),
    )

    op.create_table(
        "weekly_risk",
        sa.Column("id", sa.Integer),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("model_version_id", sa.Integer, nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("drivers", sa.JSON),
        sa.Column("scored_at", TZ, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_weekly_risk"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], ondelete="CASCADE", name="fk_weekly_risk_staff_id_staff"
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_version.id"],
            ondelete="CASCADE",
            name="fk_weekly_risk_model_version_id_model_version",
        ),
        sa.UniqueConstraint(
            "staff_id",
            "week_start",
            "model_version_id",
            name="uq_weekly_risk_staff_id_week_start_model_version_id",
        ),
    )
    op.create_index("ix_weekly_risk_staff_id", "weekly_risk", ["staff_id"])
    op.create_index("ix_weekly_risk_week_start", "weekly_risk", ["week_start"])

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer),
        sa.Column("staff_id", sa.Integer),
        sa.Column("unit", sa.String(64)),
        sa.Column("subject", sa.String(96), nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("rule", sa.String(48), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("suggested_action", sa.Text),
        sa.Column("created_at", TZ, server_default=sa.func.now()),
        sa.Column("acknowledged_at", TZ),
        sa.PrimaryKeyConstraint("id", name="pk_alert"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], ondelete="CASCADE", name="fk_alert_staff_id_staff"
        ),
        sa.UniqueConstraint(
            "subject", "week_start", "rule", name="uq_alert_subject_week_start_rule"
        ),
    )
    op.create_index("ix_alert_staff_id", "alert", ["staff_id"])
    op.create_index("ix_alert_week_start", "alert", ["week_start"])


def downgrade() -> None:
    for table in (
        "alert",
        "weekly_risk",
        "model_version",
        "checkin",
        "expression_summary",
        "recording",
        "consent",
        "staff",
    ):
        op.drop_table(table)
