"""Imports every area's tables so that ``metadata`` describes the whole schema.

Alembic and the migration test read the schema from here; add a new area's tables module below.
"""

from waterbill.access import tables as access_tables
from waterbill.audit import tables as audit_tables
from waterbill.auth import tables as auth_tables
from waterbill.billing import tables as billing_tables
from waterbill.certificates import tables as certificate_tables
from waterbill.db.metadata import metadata
from waterbill.disputes import tables as dispute_tables
from waterbill.documents import tables as documents_tables
from waterbill.ingest import tables as ingest_tables
from waterbill.notifications import tables as notification_tables
from waterbill.ops import tables as ops_tables
from waterbill.performance import tables as performance_tables
from waterbill.readings import tables as readings_tables

__all__ = [
    "access_tables",
    "audit_tables",
    "auth_tables",
    "billing_tables",
    "certificate_tables",
    "dispute_tables",
    "documents_tables",
    "ingest_tables",
    "metadata",
    "notification_tables",
    "ops_tables",
    "performance_tables",
    "readings_tables",
]
