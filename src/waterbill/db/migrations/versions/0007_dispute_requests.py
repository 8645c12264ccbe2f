"""Dispute requests (regulation 3.6), their history, and the reference-number counter.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = "status IN ('received', 'under_review', 'answered')"


def upgrade() -> None:
    op.create_table(
        "dispute_reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_dispute_reference_counters")),
    )

    op.create_table(
        "dispute_requests",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(24), nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("service", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("text", sa.String(2000), server_default="", nullable=False),
        sa.Column("photo", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_by", sa.String(40), nullable=False),
        sa.Column("answer", sa.String(4000), nullable=True),
        sa.Column("answered_by", sa.String(40), nullable=True),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "service IN ('water', 'wastewater')", name=op.f("ck_dispute_requests_service_allowed")
        ),
        sa.CheckConstraint(
            "reason IN ('meter_reading_wrong', 'norm_applied_with_meter', 'payment_not_shown', "
            "'recalculation_unclear', 'other')",
            name=op.f("ck_dispute_requests_reason_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'under_review', 'answered', 'closed')",
            name=op.f("ck_dispute_requests_status_allowed"),
        ),
        sa.CheckConstraint(
            "(answer IS NULL) = (answered_at IS NULL)",
            name=op.f("ck_dispute_requests_answer_has_answered_at"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_dispute_requests_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_dispute_requests_reference")),
    )
    op.create_index(
        "uq_dispute_requests_open_per_month",
        "dispute_requests",
        ["subscriber_id", "period", "service"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index("ix_dispute_requests_filed_by", "dispute_requests", ["filed_by", "filed_at"])
    op.create_index(
        "ix_dispute_requests_status_filed_at", "dispute_requests", ["status", "filed_at"]
    )

    op.create_table(
        "dispute_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("request_id", Id, nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor_kind", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("note", sa.String(4000), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "to_status IN ('received', 'under_review', 'answered', 'closed')",
            name=op.f("ck_dispute_events_to_status_allowed"),
        ),
        sa.CheckConstraint(
            "actor_kind IN ('citizen', 'staff')", name=op.f("ck_dispute_events_actor_kind_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["dispute_requests.id"],
            name=op.f("fk_dispute_events_request_id_dispute_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_events")),
    )
    op.create_index(op.f("ix_dispute_events_request_id"), "dispute_events", ["request_id"])


def downgrade() -> None:
    op.drop_table("dispute_events")
    op.drop_table("dispute_requests")
    op.drop_table("dispute_reference_counters")
