"""Tables of the ingest area: payment channels and the import batches already committed."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text, UniqueConstraint

from waterbill.billing.tables import Id
from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

# A channel's key is 256 random bits, so a plain SHA-256 digest of it cannot be brute-forced.
channels = Table(
    "channels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(40), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# One row per batch committed: a re-run of the same file skips these and reports what they did.
import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("file_digest", String(64), nullable=False),
    Column("batch_no", Integer, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("loaded", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    # JSON list of [line, message] for the rejected rows, to rebuild the reject file on a re-run.
    Column("rejects", Text, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "file_digest", "batch_no"),
)
