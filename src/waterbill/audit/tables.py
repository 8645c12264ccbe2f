"""The audit tables: the events, the single chain head, and the anchors left by pruning.

``audit_events.id`` is the position in the chain, handed out under the head row's lock, so the
sequence has no gaps: a missing number is a deleted row.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

Id = BigInteger().with_variant(Integer(), "sqlite")

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("tag", String(40), nullable=False),
    # The keyed hash of the citizen's FIN (waterbill.auth.identity.pseudonymous_id); never the FIN.
    Column("actor", String(40), nullable=True),
    Column("subscriber_code", String(32), nullable=True),
    Column("channel", String(8), nullable=False),
    Column("auth_method", String(16), nullable=True),
    Column("result", String(8), nullable=True),
    Column("reason", String(40), nullable=True),
    # Canonical JSON text, hashed exactly as stored (a jsonb column would reorder the keys).
    Column("details", Text(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
    CheckConstraint("channel IN ('web', 'api', 'cli')", name="channel_allowed"),
    CheckConstraint(
        "result IS NULL OR result IN ('full', 'masked', 'refused')", name="result_allowed"
    ),
)
Index("ix_audit_events_subscriber_code_id", audit_events.c.subscriber_code, audit_events.c.id)
Index("ix_audit_events_actor_id", audit_events.c.actor, audit_events.c.id)
Index("ix_audit_events_occurred_at", audit_events.c.occurred_at)

# One row (id = 1): where the chain ends. Appends lock it, which serialises them across instances.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", SmallInteger(), primary_key=True, autoincrement=False),
    Column("last_seq", Id, nullable=False),
    Column("last_hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# Each prune keeps the hash of the last row it removed, so the rest still verifies.
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("up_to_seq", Id, nullable=False, unique=True),
    Column("row_hash", String(64), nullable=False),
    Column("rows_pruned", Id, nullable=False),
    Column("pruned_at", UTCDateTime(), nullable=False),
)
