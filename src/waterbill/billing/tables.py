"""Billing tables. Queries over them live in each area's repository module."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    text,
)

from waterbill.billing.domain import SERVICES
from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime, fixed_point, money, volume

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

METER_TYPES = ("none", "mechanical", "smart_card")
TARIFF_ZONES = ("baku_absheron", "regions")
CATEGORIES = ("population", "non_population")
STATUSES = ("active", "closed")
BASES = ("meter", "norm", "estimate")


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("holder_fin", String(7), nullable=False, index=True),
    Column("surname", String(100), nullable=False),
    Column("name", String(100), nullable=False),
    Column("patronymic", String(100), nullable=False, server_default=""),
    Column("region", String(100), nullable=False),
    Column("city", String(100), nullable=False),
    Column("district", String(100), nullable=False, server_default=""),
    Column("street", String(200), nullable=False),
    Column("building", String(20), nullable=False),
    Column("apartment", String(20), nullable=True),
    Column("persons_served", SmallInteger, nullable=False),
    Column("water_service", Boolean(create_constraint=False), nullable=False),
    Column("wastewater_service", Boolean(create_constraint=False), nullable=False),
    Column("meter_type", String(12), nullable=False),
    Column("meter_serial", String(40), nullable=True),
    Column("tariff_zone", String(16), nullable=False),
    Column("category", String(16), nullable=False),
    Column("status", String(8), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    _one_of("meter_type", METER_TYPES),
    _one_of("tariff_zone", TARIFF_ZONES),
    _one_of("category", CATEGORIES),
    _one_of("status", STATUSES),
    CheckConstraint("persons_served >= 0", name="persons_served_not_negative"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invoice_no", String(32), nullable=False, index=True),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), nullable=False),
    # The billing month as "YYYY-MM": sorts and compares as text on both engines.
    Column("period", String(7), nullable=False),
    Column("service", String(10), nullable=False),
    Column("previous_reading", volume(), nullable=True),
    Column("current_reading", volume(), nullable=True),
    Column("consumption_m3", volume(), nullable=False),
    Column("tariff", fixed_point(10, 4), nullable=False),
    Column("amount", money(), nullable=False),
    Column("basis", String(8), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("subscriber_id", "period", "service"),
    _one_of("service", SERVICES),
    _one_of("basis", BASES),
    CheckConstraint("consumption_m3 >= 0", name="consumption_not_negative"),
)

# Every earlier version of a recalculated invoice, kept so the statement can show it honestly.
invoice_revisions = Table(
    "invoice_revisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invoice_id", Id, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("invoice_no", String(32), nullable=False),
    Column("previous_reading", volume(), nullable=True),
    Column("current_reading", volume(), nullable=True),
    Column("consumption_m3", volume(), nullable=False),
    Column("tariff", fixed_point(10, 4), nullable=False),
    Column("amount", money(), nullable=False),
    Column("basis", String(8), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("replaced_at", UTCDateTime, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(40), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("subscriber_id", Id, ForeignKey("subscribers.id"), nullable=False),
    Column("paid_at", UTCDateTime, nullable=False),
    # Negative only for a reversal, which names the reversed payment of the same channel.
    Column("amount", money(), nullable=False),
    Column("reverses", String(64), nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("channel", "payment_id"),
    CheckConstraint(
        "(amount > 0 AND reverses IS NULL) OR (amount < 0 AND reverses IS NOT NULL)",
        name="amount_sign_matches_reversal",
    ),
)

Index("ix_payments_subscriber_paid_at", payments.c.subscriber_id, payments.c.paid_at)
# A reversal is judged against the payment's earlier reversals: found here, not by a scan.
Index(
    "ix_payments_reversals",
    payments.c.channel,
    payments.c.reverses,
    sqlite_where=text("reverses IS NOT NULL"),
    postgresql_where=text("reverses IS NOT NULL"),
)
