"""Daily figures, availability minutes, sign-in journeys and feedback: counts, never people.

No row names a citizen, a subscriber code or an address. A journey row is keyed by a hash of the
session's hash, so it cannot be joined back to ``web_sessions``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    SmallInteger,
    String,
    Table,
    false,
)

from waterbill.billing.tables import Id
from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime
from waterbill.performance.domain import COMMENT_MAX_LENGTH

# One row per Baku day, event name, channel and outcome; instances add their counts to it.
# ``channel`` and ``outcome`` are '' where they do not apply. The statement's response times are
# the event ``statement_ms`` with the histogram bucket's upper bound (ms) as the outcome.
performance_counts = Table(
    "performance_counts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("event", String(32), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("outcome", String(24), primary_key=True),
    Column("count", BigInteger, nullable=False),
    CheckConstraint("count >= 0", name="count_not_negative"),
)

# Each minute some instance reached the database, written by that instance ('up', or
# 'maintenance' during an announced maintenance). A minute without a row was an outage.
performance_minutes = Table(
    "performance_minutes",
    metadata,
    Column("minute", UTCDateTime(), primary_key=True),
    # The minute's Baku day, so the figures group by day alike on SQLite and PostgreSQL.
    Column("day", Date, nullable=False, index=True),
    Column("state", String(12), nullable=False),
    CheckConstraint("state IN ('up', 'maintenance')", name="state_allowed"),
)

# A sign-in, and whether it went on to a statement (the completion rate).
performance_journeys = Table(
    "performance_journeys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("signed_in_on", Date, nullable=False, index=True),
    Column("reached", Boolean, nullable=False, server_default=false()),
)

# "How easy was it?" after a statement: a rating, perhaps a comment, and nothing about the person.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("comment", String(COMMENT_MAX_LENGTH), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
)
Index("ix_feedback_day_rating", feedback.c.day, feedback.c.rating)
