"""Breaking the access log for real, for the tests that prove nothing is shown without its row."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from waterbill import clock
from waterbill.audit.chain import GENESIS_HASH
from waterbill.audit.tables import audit_chain_head, audit_events
from waterbill.config import Settings


def make_every_append_collide(db: Connection, settings: Settings | None = None) -> None:
    """Point every chain's head back so its next position is already taken.

    An append on any chain then fails on the unique (chain, position) key: a real database error,
    whichever chain the append picks.
    """
    chains = (settings or Settings()).audit_chains
    taken = set(db.scalars(select(audit_events.c.chain).where(audit_events.c.position == 1)))
    next_id = (db.scalar(select(audit_events.c.id).order_by(audit_events.c.id.desc())) or 0) + 1
    for chain in range(chains):
        if chain not in taken:
            db.execute(
                insert(audit_events).values(
                    id=next_id + chain,
                    chain=chain,
                    position=1,
                    occurred_at=clock.now(),
                    tag="auth:logout",
                    channel="cli",
                    details="{}",
                    prev_hash=GENESIS_HASH,
                    row_hash=GENESIS_HASH,
                )
            )
    db.execute(delete(audit_chain_head))
    db.execute(
        insert(audit_chain_head),
        [{"id": chain, "last_seq": 0, "last_hash": GENESIS_HASH} for chain in range(chains)],
    )
