"""The record of every document issued, keyed by its verification code."""

from __future__ import annotations

import sqlalchemy as sa

from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

issued_documents = sa.Table(
    "issued_documents",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("kind", sa.String(3), nullable=False),
    sa.Column("locale", sa.String(5), nullable=False),
    sa.Column("subscriber_code", sa.String(32), nullable=False, index=True),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
    # What the document shows, as canonical JSON: the verification page shows no more than this.
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("seal", sa.String(64), nullable=False),
    sa.CheckConstraint("kind IN ('pdf', 'csv')", name="kind_allowed"),
)
