"""Operations state that every app instance must agree on, so it lives in the database."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, SmallInteger, String, Table

from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

# At most one announced maintenance at a time: the row with id 1, deleted when it is switched off.
maintenance = Table(
    "maintenance",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("until", UTCDateTime, nullable=False),
    Column("message", String(500), nullable=True),
    Column("announced_at", UTCDateTime, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
