"""Authorisations: a holder lets another citizen see the full statement of one code."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

Id = BigInteger().with_variant(Integer(), "sqlite")

authorisations = Table(
    "authorisations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscriber_code", String(32), nullable=False),
    # The holder who granted it: a grant lapses by itself when the account changes hands.
    Column("holder_fin", String(7), nullable=False),
    Column("grantee_fin", String(7), nullable=False),
    Column("granted_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)
Index(
    "ix_authorisations_subscriber_code_grantee_fin",
    authorisations.c.subscriber_code,
    authorisations.c.grantee_fin,
)
