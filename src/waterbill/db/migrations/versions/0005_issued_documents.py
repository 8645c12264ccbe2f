"""Issued documents: every statement PDF or CSV handed out, keyed by its verification code.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.Column("locale", sa.String(5), nullable=False),
        sa.Column("subscriber_code", sa.String(32), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.CheckConstraint("kind IN ('pdf', 'csv')", name=op.f("ck_issued_documents_kind_allowed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint("code", name=op.f("uq_issued_documents_code")),
    )
    op.create_index(
        op.f("ix_issued_documents_subscriber_code"), "issued_documents", ["subscriber_code"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_issued_documents_subscriber_code"), table_name="issued_documents")
    op.drop_table("issued_documents")
