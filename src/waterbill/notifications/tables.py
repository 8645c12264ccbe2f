"""Notification tables: who wants which mail, and the outbox the worker delivers from."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from waterbill.billing.tables import Id
from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

# A citizen's addresses, keyed by the pseudonymous id (never the FIN). An address receives events
# only once confirmed through the link of the first mail (or SMS) sent to it.
notification_recipients = Table(
    "notification_recipients",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("citizen_id", String(40), nullable=False, unique=True),
    Column("email", String(254), nullable=True),
    Column("email_confirmed_at", UTCDateTime, nullable=True),
    Column("phone", String(16), nullable=True),
    Column("phone_confirmed_at", UTCDateTime, nullable=True),
    # The language the mails are written in: the one the citizen used for the settings.
    Column("language", String(2), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The events a recipient wants for one subscriber code they hold.
notification_subscriptions = Table(
    "notification_subscriptions",
    metadata,
    Column("recipient_id", Id, ForeignKey("notification_recipients.id"), primary_key=True),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), primary_key=True),
    Column("event", String(20), primary_key=True),
)
Index(
    "ix_notification_subscriptions_subscriber_event",
    notification_subscriptions.c.subscriber_id,
    notification_subscriptions.c.event,
)

OUTBOX_STATUSES = ("queued", "claimed", "sending", "sent", "failed", "uncertain", "skipped")

# One row per event, recipient and channel, written in the transaction of its cause. The unique
# (event_key, recipient_id, channel) is the idempotency key; the Message-ID derives from it.
notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event", String(20), nullable=False),
    Column("event_key", String(120), nullable=False),
    Column("recipient_id", Id, ForeignKey("notification_recipients.id"), nullable=False),
    Column("channel", String(5), nullable=False),
    Column("address", String(254), nullable=False),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), nullable=True),
    # What the event is about: the billing month, a payment or a dispute reference.
    Column("period", String(7), nullable=True),
    Column("ref", String(110), nullable=True),
    Column("status", String(10), nullable=False),
    Column("attempts", SmallInteger, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    # An SMTP reply code or an exception class: never the address or the message.
    Column("last_error", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_key", "recipient_id", "channel"),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in OUTBOX_STATUSES) + ")",
        name="status_allowed",
    ),
    CheckConstraint("channel IN ('email', 'sms')", name="channel_allowed"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
# The worker's claim query and the metrics read the rows by status.
Index(
    "ix_notification_outbox_status_next_attempt_at",
    notification_outbox.c.status,
    notification_outbox.c.next_attempt_at,
)
