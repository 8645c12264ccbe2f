"""The public performance figures and the one-question feedback (issue 20).

Daily counts every instance adds to, the minutes some instance reached the database, the sign-in
journeys behind the completion rate, and the answers to "How easy was it?". No personal data.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "performance_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_performance_counts_count_not_negative")),
        sa.PrimaryKeyConstraint(
            "day", "event", "channel", "outcome", name=op.f("pk_performance_counts")
        ),
    )
    op.create_table(
        "performance_minutes",
        sa.Column("minute", UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.CheckConstraint(
            "state IN ('up', 'maintenance')", name=op.f("ck_performance_minutes_state_allowed")
        ),
        sa.PrimaryKeyConstraint("minute", name=op.f("pk_performance_minutes")),
    )
    op.create_index(
        op.f("ix_performance_minutes_day"), "performance_minutes", ["day"], unique=False
    )
    op.create_table(
        "performance_journeys",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("signed_in_on", sa.Date(), nullable=False),
        sa.Column("reached", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_journeys")),
    )
    op.create_index(
        op.f("ix_performance_journeys_signed_in_on"),
        "performance_journeys",
        ["signed_in_on"],
        unique=False,
    )
    op.create_table(
        "feedback",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_feedback_rating_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_day_rating", "feedback", ["day", "rating"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_day_rating", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_performance_journeys_signed_in_on"), table_name="performance_journeys")
    op.drop_table("performance_journeys")
    op.drop_index(op.f("ix_performance_minutes_day"), table_name="performance_minutes")
    op.drop_table("performance_minutes")
    op.drop_table("performance_counts")
