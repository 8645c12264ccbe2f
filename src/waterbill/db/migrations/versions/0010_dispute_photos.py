"""Meter photos of dispute requests in the database (issue 10), instead of files.

Adds ``dispute_photos`` only; ``dispute_requests.photo`` (the file name under the former
``WATERBILL_UPLOAD_DIR``) stays one release, for the previous release running beside this one and
for ``waterbill disputes import-photos``, which copies those files in (see
``waterbill.disputes.photo_import`` for why that is not done here).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dispute_photos",
        sa.Column("request_id", Id, nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png')",
            name=op.f("ck_dispute_photos_media_type_allowed"),
        ),
        sa.CheckConstraint("byte_size > 0", name=op.f("ck_dispute_photos_byte_size_positive")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["dispute_requests.id"],
            name=op.f("fk_dispute_photos_request_id_dispute_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_dispute_photos")),
    )


def downgrade() -> None:
    op.drop_table("dispute_photos")
