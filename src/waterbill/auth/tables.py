"""Server-side sessions and the development provider's one-time codes.

Both live in the database so that every app instance is stateless: any instance can serve any
request. Only hashes of the session ids and codes are stored, so a copy of the table opens nothing.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

web_sessions = Table(
    "web_sessions",
    metadata,
    # SHA-256 of the cookie value, hex.
    Column("id_hash", String(64), primary_key=True),
    Column("csrf_token", String(64), nullable=False),
    # The signed-in citizen as JSON; null while the sign-in is still under way.
    Column("citizen", Text, nullable=True),
    # state, nonce and PKCE verifier of a sign-in under way, as JSON.
    Column("pending_login", Text, nullable=True),
    # The provider's ID token of the sign-in, sent back as id_token_hint on sign-out.
    Column("id_token", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
)
Index("ix_web_sessions_last_seen_at", web_sessions.c.last_seen_at)

dev_idp_codes = Table(
    "dev_idp_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    # The authorization request and the chosen citizen, as JSON.
    Column("grant", Text, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
)
