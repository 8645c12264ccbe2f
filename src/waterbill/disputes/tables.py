"""Dispute requests, their history and meter photos, and the counter behind reference numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    text,
)

from waterbill.billing.domain import SERVICES
from waterbill.billing.tables import Id
from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime
from waterbill.disputes.domain import (
    ACTOR_KINDS,
    ANSWER_MAX_LENGTH,
    OPEN_STATUSES,
    PHOTO_MEDIA_TYPES,
    REASONS,
    STATUSES,
    TEXT_MAX_LENGTH,
)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


OPEN_CONDITION = "status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_STATUSES))

dispute_requests = Table(
    "dispute_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # AZS-YYYY-NNNNNN, from dispute_reference_counters in the filing transaction.
    Column("reference", String(24), nullable=False, unique=True),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("service", String(10), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("text", String(TEXT_MAX_LENGTH), nullable=False, server_default=""),
    # Before photos moved into dispute_photos: the file name under the former upload directory.
    # Only `waterbill disputes import-photos` reads it; new filings leave it empty. It stays one
    # release, for the previous release running beside this one (docs/deploy.md §13).
    Column("photo", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    # Pseudonymous ids only: the FIN is never stored here.
    Column("filed_by", String(40), nullable=False),
    Column("answer", String(ANSWER_MAX_LENGTH), nullable=True),
    Column("answered_by", String(40), nullable=True),
    Column("filed_at", UTCDateTime(), nullable=False),
    Column("answered_at", UTCDateTime(), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    _one_of("service", SERVICES),
    _one_of("reason", REASONS),
    _one_of("status", STATUSES),
    CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_has_answered_at"),
)

# At most one open request per month and service of an account; a partial unique index is
# understood by SQLite and PostgreSQL alike, so the rule holds even under concurrent filings.
Index(
    "uq_dispute_requests_open_per_month",
    dispute_requests.c.subscriber_id,
    dispute_requests.c.period,
    dispute_requests.c.service,
    unique=True,
    sqlite_where=text(OPEN_CONDITION),
    postgresql_where=text(OPEN_CONDITION),
)
Index("ix_dispute_requests_filed_by", dispute_requests.c.filed_by, dispute_requests.c.filed_at)
Index("ix_dispute_requests_status_filed_at", dispute_requests.c.status, dispute_requests.c.filed_at)

dispute_events = Table(
    "dispute_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", Id, ForeignKey("dispute_requests.id"), nullable=False, index=True),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("actor_kind", String(8), nullable=False),
    Column("actor", String(40), nullable=False),
    Column("note", String(ANSWER_MAX_LENGTH), nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    _one_of("to_status", STATUSES),
    _one_of("actor_kind", ACTOR_KINDS),
)


# The meter photo of a request, as cleaned on filing (photos.py), in the database itself: every
# app instance serves it, backups and point-in-time recovery include it, and it is written in
# the filing's transaction, so a request never names a missing photo and a refused filing
# leaves none behind. bytea on PostgreSQL, BLOB on SQLite.
def photo_columns() -> list[Column[Any] | CheckConstraint]:
    """The columns of a stored meter photo, beside the key of what it belongs to."""
    return [
        Column("media_type", String(16), nullable=False),
        Column("byte_size", Integer, nullable=False),
        # Hex SHA-256 of content: lets an operator check a photo against a copy kept elsewhere.
        Column("sha256", String(64), nullable=False),
        Column("content", LargeBinary, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        _one_of("media_type", PHOTO_MEDIA_TYPES),
        CheckConstraint("byte_size > 0", name="byte_size_positive"),
    ]


dispute_photos = Table(
    "dispute_photos",
    metadata,
    Column(
        "request_id", Id, ForeignKey("dispute_requests.id"), primary_key=True, autoincrement=False
    ),
    *photo_columns(),
)

# One row per year; the filing transaction increments it, so numbers are unique and gap-free.
dispute_reference_counters = Table(
    "dispute_reference_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False),
)
