"""Meter readings submitted by citizens, their photos, meter replacements (issue 23).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime, volume

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "meter_readings",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("seq", Id, nullable=False),
        sa.Column("reference", sa.String(24), nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("reading", volume(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("for_period", sa.String(7), nullable=False),
        sa.Column("in_window", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("implausible", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("meter_serial", sa.String(40), nullable=True),
        sa.Column("last_billed", volume(), nullable=True),
        sa.Column("submitted_by", sa.String(40), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("reading >= 0", name=op.f("ck_meter_readings_reading_not_negative")),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_meter_readings_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_readings")),
        sa.UniqueConstraint("seq", name=op.f("uq_meter_readings_seq")),
        sa.UniqueConstraint("reference", name=op.f("uq_meter_readings_reference")),
    )
    op.create_index(
        "ix_meter_readings_subscriber_submitted",
        "meter_readings",
        ["subscriber_id", "submitted_at"],
    )
    op.create_index("ix_meter_readings_submitted_at", "meter_readings", ["submitted_at"])
    op.create_table(
        "meter_reading_photos",
        sa.Column("reading_id", Id, nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png')",
            name=op.f("ck_meter_reading_photos_media_type_allowed"),
        ),
        sa.CheckConstraint(
            "byte_size > 0", name=op.f("ck_meter_reading_photos_byte_size_positive")
        ),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["meter_readings.id"],
            name=op.f("fk_meter_reading_photos_reading_id_meter_readings"),
        ),
        sa.PrimaryKeyConstraint("reading_id", name=op.f("pk_meter_reading_photos")),
    )
    op.create_table(
        "meter_replacements",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=False),
        sa.Column("initial_reading", volume(), nullable=False),
        sa.Column("meter_serial", sa.String(40), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_meter_replacements_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_replacements")),
    )
    op.create_index(
        op.f("ix_meter_replacements_subscriber_id"), "meter_replacements", ["subscriber_id"]
    )
    op.create_table(
        "meter_reading_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", Id, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_reading_counter")),
    )


def downgrade() -> None:
    op.drop_table("meter_reading_counter")
    op.drop_index(op.f("ix_meter_replacements_subscriber_id"), table_name="meter_replacements")
    op.drop_table("meter_replacements")
    op.drop_table("meter_reading_photos")
    op.drop_index("ix_meter_readings_submitted_at", table_name="meter_readings")
    op.drop_index("ix_meter_readings_subscriber_submitted", table_name="meter_readings")
    op.drop_table("meter_readings")
