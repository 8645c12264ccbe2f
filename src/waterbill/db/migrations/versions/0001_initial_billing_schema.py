"""Initial billing schema: subscribers, invoices with their revisions, payments.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime, fixed_point, money, volume

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("holder_fin", sa.String(7), nullable=False),
        sa.Column("surname", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("patronymic", sa.String(100), server_default="", nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("district", sa.String(100), server_default="", nullable=False),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("building", sa.String(20), nullable=False),
        sa.Column("apartment", sa.String(20), nullable=True),
        sa.Column("persons_served", sa.SmallInteger(), nullable=False),
        sa.Column("water_service", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("wastewater_service", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("meter_type", sa.String(12), nullable=False),
        sa.Column("meter_serial", sa.String(40), nullable=True),
        sa.Column("tariff_zone", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "category IN ('population', 'non_population')",
            name=op.f("ck_subscribers_category_allowed"),
        ),
        sa.CheckConstraint(
            "meter_type IN ('none', 'mechanical', 'smart_card')",
            name=op.f("ck_subscribers_meter_type_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'closed')", name=op.f("ck_subscribers_status_allowed")
        ),
        sa.CheckConstraint(
            "tariff_zone IN ('baku_absheron', 'regions')",
            name=op.f("ck_subscribers_tariff_zone_allowed"),
        ),
        sa.CheckConstraint(
            "persons_served >= 0", name=op.f("ck_subscribers_persons_served_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("code", name=op.f("uq_subscribers_code")),
    )
    op.create_index(op.f("ix_subscribers_holder_fin"), "subscribers", ["holder_fin"])

    op.create_table(
        "invoices",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("invoice_no", sa.String(32), nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("service", sa.String(10), nullable=False),
        sa.Column("previous_reading", volume(), nullable=True),
        sa.Column("current_reading", volume(), nullable=True),
        sa.Column("consumption_m3", volume(), nullable=False),
        sa.Column("tariff", fixed_point(10, 4), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("basis", sa.String(8), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "basis IN ('meter', 'norm', 'estimate')", name=op.f("ck_invoices_basis_allowed")
        ),
        sa.CheckConstraint(
            "service IN ('water', 'wastewater')", name=op.f("ck_invoices_service_allowed")
        ),
        sa.CheckConstraint(
            "consumption_m3 >= 0", name=op.f("ck_invoices_consumption_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_invoices_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "subscriber_id",
            "period",
            "service",
            name=op.f("uq_invoices_subscriber_id_period_service"),
        ),
    )
    op.create_index(op.f("ix_invoices_invoice_no"), "invoices", ["invoice_no"])

    op.create_table(
        "payments",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("reverses", sa.String(64), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(amount > 0 AND reverses IS NULL) OR (amount < 0 AND reverses IS NOT NULL)",
            name=op.f("ck_payments_amount_sign_matches_reversal"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_payments_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("channel", "payment_id", name=op.f("uq_payments_channel_payment_id")),
    )
    op.create_index("ix_payments_subscriber_paid_at", "payments", ["subscriber_id", "paid_at"])

    op.create_table(
        "invoice_revisions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("invoice_id", Id, nullable=False),
        sa.Column("invoice_no", sa.String(32), nullable=False),
        sa.Column("previous_reading", volume(), nullable=True),
        sa.Column("current_reading", volume(), nullable=True),
        sa.Column("consumption_m3", volume(), nullable=False),
        sa.Column("tariff", fixed_point(10, 4), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("basis", sa.String(8), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("replaced_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_revisions_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_revisions")),
    )
    op.create_index(op.f("ix_invoice_revisions_invoice_id"), "invoice_revisions", ["invoice_id"])


def downgrade() -> None:
    op.drop_table("invoice_revisions")
    op.drop_table("payments")
    op.drop_table("invoices")
    op.drop_table("subscribers")
