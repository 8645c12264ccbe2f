"""Notifications (issue 19): recipients, their subscriptions per code, and the outbox.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = ("queued", "claimed", "sending", "sent", "failed", "uncertain", "skipped")


def upgrade() -> None:
    op.create_table(
        "notification_recipients",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("citizen_id", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("email_confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("phone_confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_recipients")),
        sa.UniqueConstraint("citizen_id", name=op.f("uq_notification_recipients_citizen_id")),
    )
    op.create_table(
        "notification_subscriptions",
        sa.Column("recipient_id", Id, nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["notification_recipients.id"],
            name=op.f("fk_notification_subscriptions_recipient_id_notification_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_notification_subscriptions_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint(
            "recipient_id", "subscriber_id", "event", name=op.f("pk_notification_subscriptions")
        ),
    )
    op.create_index(
        "ix_notification_subscriptions_subscriber_event",
        "notification_subscriptions",
        ["subscriber_id", "event"],
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("event_key", sa.String(120), nullable=False),
        sa.Column("recipient_id", Id, nullable=False),
        sa.Column("channel", sa.String(5), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subscriber_id", Id, nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("ref", sa.String(110), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")",
            name=op.f("ck_notification_outbox_status_allowed"),
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'sms')", name=op.f("ck_notification_outbox_channel_allowed")
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_notification_outbox_attempts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["notification_recipients.id"],
            name=op.f("fk_notification_outbox_recipient_id_notification_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_notification_outbox_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint(
            "event_key",
            "recipient_id",
            "channel",
            name=op.f("uq_notification_outbox_event_key_recipient_id_channel"),
        ),
    )
    op.create_index(
        "ix_notification_outbox_status_next_attempt_at",
        "notification_outbox",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_status_next_attempt_at", "notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index("ix_notification_subscriptions_subscriber_event", "notification_subscriptions")
    op.drop_table("notification_subscriptions")
    op.drop_table("notification_recipients")
