"""The audit tables: the events, one head per chain, and the anchors left by pruning.

The log is split into independent hash chains (issue 9) so appends on different chains never wait
for each other. ``audit_events.position`` is the row's place in its chain, handed out under that
chain's head lock, so each chain's numbering has no gaps: a missing number is a deleted row.
``audit_events.id`` is a global, unique row number (a sequence on PostgreSQL, the rowid on SQLite);
rows written before the split are chain 0 with ``position = id``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from waterbill.db.metadata import metadata
from waterbill.db.types import UTCDateTime

Id = BigInteger().with_variant(Integer(), "sqlite")

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, Sequence("audit_events_id_seq"), primary_key=True, autoincrement=False),
    Column("chain", SmallInteger(), nullable=False),
    Column("position", Id, nullable=False),
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
    UniqueConstraint("chain", "position"),
)
Index("ix_audit_events_subscriber_code_id", audit_events.c.subscriber_code, audit_events.c.id)
Index("ix_audit_events_actor_id", audit_events.c.actor, audit_events.c.id)
Index("ix_audit_events_occurred_at", audit_events.c.occurred_at)

# One row per chain (id = the chain's number): where it ends. An append locks only its chain's row.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", SmallInteger(), primary_key=True, autoincrement=False),
    Column("last_seq", Id, nullable=False),
    Column("last_hash", String(64), nullable=False),
    # The hash before last_hash: PostgreSQL's one-statement append reads it back for the new row.
    Column("prev_hash", String(64), nullable=True),
    CheckConstraint("id >= 0", name="chain_number"),
)

# Each prune keeps the hash of the last row it removed, so the rest still verifies.
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("chain", SmallInteger(), nullable=False),
    Column("up_to_seq", Id, nullable=False),
    Column("row_hash", String(64), nullable=False),
    Column("rows_pruned", Id, nullable=False),
    Column("pruned_at", UTCDateTime(), nullable=False),
    UniqueConstraint("chain", "up_to_seq"),
)
