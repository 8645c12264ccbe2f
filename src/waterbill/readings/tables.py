"""Submitted meter readings, their photos, recorded meter replacements, and the export counter."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from waterbill.billing.tables import Id
from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime, volume
from waterbill.disputes.tables import photo_columns

meter_readings = Table(
    "meter_readings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The export cursor: taken from meter_reading_counter in the submitting transaction, which
    # holds the counter's lock until it commits, so readings become visible in cursor order.
    Column("seq", Id, nullable=False, unique=True),
    Column("reference", String(24), nullable=False, unique=True),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), nullable=False),
    Column("reading", volume(), nullable=False),
    Column("read_on", Date, nullable=False),
    # The bill it is for (YYYY-MM) and whether it came within that month's reading window.
    Column("for_period", String(7), nullable=False),
    Column("in_window", Boolean(create_constraint=False), nullable=False),
    # Above the plausible use, sent anyway after the citizen confirmed it: staff look first.
    Column("implausible", Boolean(create_constraint=False), nullable=False),
    Column("meter_serial", String(40), nullable=True),
    # The billed reading it was checked against, for staff.
    Column("last_billed", volume(), nullable=True),
    # Pseudonymous id only: the FIN is never stored here.
    Column("submitted_by", String(40), nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=False),
    CheckConstraint("reading >= 0", name="reading_not_negative"),
)
Index(
    "ix_meter_readings_subscriber_submitted",
    meter_readings.c.subscriber_id,
    meter_readings.c.submitted_at,
)
Index("ix_meter_readings_submitted_at", meter_readings.c.submitted_at)

# The meter photo, cleaned as a dispute's is (waterbill.disputes.photos), in the same transaction.
meter_reading_photos = Table(
    "meter_reading_photos",
    metadata,
    Column(
        "reading_id", Id, ForeignKey("meter_readings.id"), primary_key=True, autoincrement=False
    ),
    *photo_columns(),
)

# A meter replaced after its last billed reading: the new meter may show less than the old one.
meter_replacements = Table(
    "meter_replacements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), nullable=False, index=True),
    Column("replaced_on", Date, nullable=False),
    Column("initial_reading", volume(), nullable=False),
    Column("meter_serial", String(40), nullable=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
)

# One row: the last cursor given out.
meter_reading_counter = Table(
    "meter_reading_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", Id, nullable=False),
)
