"""Every query of the audit log, in one place. Returns chain values and plain tuples, never rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from waterbill.audit.chain import GENESIS_HASH, Anchor, CanonicalForm, EventRow, Head, genesis
from waterbill.audit.tables import audit_anchors, audit_chain_head, audit_events
from waterbill.db.types import UTCDateTime

_EVENT_COLUMNS = (
    audit_events.c.id,
    audit_events.c.chain,
    audit_events.c.position,
    audit_events.c.occurred_at,
    audit_events.c.tag,
    audit_events.c.actor,
    audit_events.c.subscriber_code,
    audit_events.c.channel,
    audit_events.c.auth_method,
    audit_events.c.result,
    audit_events.c.reason,
    audit_events.c.details,
    audit_events.c.prev_hash,
    audit_events.c.row_hash,
)


def _event(row: Any) -> EventRow:
    return EventRow(
        seq=row.position,
        occurred_at=row.occurred_at,
        tag=row.tag,
        actor=row.actor,
        subscriber_code=row.subscriber_code,
        channel=row.channel,
        auth_method=row.auth_method,
        result=row.result,
        reason=row.reason,
        details=row.details,
        prev_hash=row.prev_hash,
        row_hash=row.row_hash,
        chain=row.chain,
        id=row.id,
    )


def claim_next_seq(db: Connection, chain: int) -> Head:
    """Lock ``chain``'s head and take its next position; returns it with the previous hash.

    One UPDATE ... RETURNING both reads and locks: on PostgreSQL the row lock holds back other
    appends to the same chain until this transaction ends (they then see the new head); appends to
    other chains do not wait. SQLite serialises writers anyway.
    """
    claim = (
        update(audit_chain_head)
        .where(audit_chain_head.c.id == chain)
        .values(last_seq=audit_chain_head.c.last_seq + 1)
        .returning(audit_chain_head.c.last_seq, audit_chain_head.c.last_hash)
    )
    row = db.execute(claim).one_or_none()
    if row is None:
        _create_head(db, chain)
        row = db.execute(claim).one()
    return Head(last_seq=row.last_seq, last_hash=row.last_hash)


# PostgreSQL: the whole append in one statement, one round trip. The UPDATE takes the head's row
# lock exactly as claim_next_seq does, takes the next position, keeps the old hash as prev_hash
# and seals the row with the same canonical text as chain.row_hash (which `audit verify` checks);
# the INSERT reads all three back from RETURNING. Every SET expression sees the row as it was
# before this UPDATE, which is the newest committed head (PostgreSQL re-reads a row it waited for).
_APPEND_ON_HEAD = text(
    """
WITH head AS (
    UPDATE audit_chain_head
    SET last_seq = last_seq + 1,
        prev_hash = last_hash,
        last_hash = encode(sha256(convert_to(
            :before_seq || (last_seq + 1)::text || :between || to_json(last_hash)::text || ']',
            'UTF8')), 'hex')
    WHERE id = :chain
    RETURNING last_seq, prev_hash, last_hash
)
INSERT INTO audit_events (id, chain, position, occurred_at, tag, actor, subscriber_code, channel,
                          auth_method, result, reason, details, prev_hash, row_hash)
SELECT nextval('audit_events_id_seq'), :chain, head.last_seq, :occurred_at, :tag, :actor,
       :subscriber_code, :channel, :auth_method, :result, :reason, :details,
       head.prev_hash, head.last_hash
FROM head
RETURNING id
"""
).bindparams(bindparam("occurred_at", type_=UTCDateTime()))


def append_on_head(db: Connection, row: EventRow, form: CanonicalForm) -> int:
    """PostgreSQL: take ``row.chain``'s next position, seal and insert the row; returns its id.

    ``row.seq`` and ``row.prev_hash`` are ignored: the head supplies them under its lock.
    """
    values = {
        "chain": row.chain,
        "before_seq": form.before_seq,
        "between": form.between,
        "occurred_at": row.occurred_at,
        "tag": row.tag,
        "actor": row.actor,
        "subscriber_code": row.subscriber_code,
        "channel": row.channel,
        "auth_method": row.auth_method,
        "result": row.result,
        "reason": row.reason,
        "details": row.details,
    }
    row_id = db.execute(_APPEND_ON_HEAD, values).scalar_one_or_none()
    if row_id is None:  # the chain's first append: its head does not exist yet
        _create_head(db, row.chain)
        row_id = db.execute(_APPEND_ON_HEAD, values).scalar_one()
    return int(row_id)


def lock_head(db: Connection, chain: int) -> Head:
    """Lock ``chain``'s head without taking a position: no append to it runs until commit."""
    lock = (
        update(audit_chain_head)
        .where(audit_chain_head.c.id == chain)
        .values(last_seq=audit_chain_head.c.last_seq)
        .returning(audit_chain_head.c.last_seq, audit_chain_head.c.last_hash)
    )
    row = db.execute(lock).one()
    return Head(last_seq=row.last_seq, last_hash=row.last_hash)


def _create_head(db: Connection, chain: int) -> None:
    values = {"id": chain, "last_seq": 0, "last_hash": GENESIS_HASH}
    if db.dialect.name == "postgresql":
        statement: Any = pg_insert(audit_chain_head).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite_insert(audit_chain_head).values(**values).on_conflict_do_nothing()
    db.execute(statement)


def append(db: Connection, row: EventRow) -> int:
    """Insert the sealed row and move its chain's head; returns the row's global id."""
    row_id = db.execute(
        insert(audit_events)
        .values(
            chain=row.chain,
            position=row.seq,
            occurred_at=row.occurred_at,
            tag=row.tag,
            actor=row.actor,
            subscriber_code=row.subscriber_code,
            channel=row.channel,
            auth_method=row.auth_method,
            result=row.result,
            reason=row.reason,
            details=row.details,
            prev_hash=row.prev_hash,
            row_hash=row.row_hash,
        )
        .returning(audit_events.c.id)
    ).scalar_one()
    db.execute(
        update(audit_chain_head)
        .where(audit_chain_head.c.id == row.chain)
        .values(prev_hash=row.prev_hash, last_hash=row.row_hash)
    )
    return int(row_id)


def chains_present(db: Connection) -> list[int]:
    """Every chain with a head, a row or an anchor: a chain whose head was deleted is still seen."""
    found = set(db.scalars(select(audit_chain_head.c.id)))
    found.update(db.scalars(select(audit_events.c.chain).distinct()))
    found.update(db.scalars(select(audit_anchors.c.chain).distinct()))
    return sorted(int(chain) for chain in found)


def head_chains(db: Connection) -> list[int]:
    return sorted(int(chain) for chain in db.scalars(select(audit_chain_head.c.id)))


def read_head(db: Connection, chain: int) -> Head | None:
    row = db.execute(
        select(audit_chain_head.c.last_seq, audit_chain_head.c.last_hash).where(
            audit_chain_head.c.id == chain
        )
    ).one_or_none()
    return None if row is None else Head(last_seq=row.last_seq, last_hash=row.last_hash)


def latest_anchor(db: Connection, chain: int) -> Anchor:
    row = db.execute(
        select(audit_anchors.c.up_to_seq, audit_anchors.c.row_hash)
        .where(audit_anchors.c.chain == chain)
        .order_by(audit_anchors.c.up_to_seq.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return genesis(chain)
    return Anchor(seq=row.up_to_seq, row_hash=row.row_hash, chain=chain)


def iter_events(
    db: Connection, *, chain: int, after_seq: int, up_to_seq: int | None = None, batch: int = 2000
) -> Iterator[EventRow]:
    """One chain's rows in chain order, fetched in batches by key so memory stays flat."""
    last = after_seq
    while True:
        query = select(*_EVENT_COLUMNS).where(
            audit_events.c.chain == chain, audit_events.c.position > last
        )
        if up_to_seq is not None:
            query = query.where(audit_events.c.position <= up_to_seq)
        rows = db.execute(query.order_by(audit_events.c.position).limit(batch)).all()
        for row in rows:
            yield _event(row)
        if len(rows) < batch:
            return
        last = rows[-1].position


def seq_with_hash(db: Connection, chain: int, row_hash: str) -> int | None:
    """Only on the failure path of a verification: a scan is acceptable there."""
    found = db.scalar(
        select(func.min(audit_events.c.position)).where(
            audit_events.c.chain == chain, audit_events.c.row_hash == row_hash
        )
    )
    return None if found is None else int(found)


def first_beyond_head(db: Connection, chain: int) -> tuple[int, int] | None:
    """(position, id) of a row numbered after its chain's head: written behind the app's back."""
    head_seq = (
        select(audit_chain_head.c.last_seq).where(audit_chain_head.c.id == chain).scalar_subquery()
    )
    row = db.execute(
        select(audit_events.c.position, audit_events.c.id)
        .where(audit_events.c.chain == chain, audit_events.c.position > head_seq)
        .order_by(audit_events.c.position)
        .limit(1)
    ).one_or_none()
    return None if row is None else (int(row.position), int(row.id))


def first_seq_since(db: Connection, chain: int, instant: datetime) -> int | None:
    found = db.scalar(
        select(func.min(audit_events.c.position)).where(
            audit_events.c.chain == chain, audit_events.c.occurred_at >= instant
        )
    )
    return None if found is None else int(found)


def hash_of(db: Connection, chain: int, seq: int) -> str | None:
    return db.scalar(
        select(audit_events.c.row_hash).where(
            audit_events.c.chain == chain, audit_events.c.position == seq
        )
    )


def delete_up_to(db: Connection, chain: int, seq: int) -> int:
    return db.execute(
        delete(audit_events).where(audit_events.c.chain == chain, audit_events.c.position <= seq)
    ).rowcount


def add_anchor(db: Connection, *, anchor: Anchor, rows_pruned: int, pruned_at: datetime) -> None:
    db.execute(
        insert(audit_anchors).values(
            chain=anchor.chain,
            up_to_seq=anchor.seq,
            row_hash=anchor.row_hash,
            rows_pruned=rows_pruned,
            pruned_at=pruned_at,
        )
    )


# Reports -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFilter:
    since: datetime | None = None
    subscriber_code: str | None = None
    actor: str | None = None
    tags: Sequence[str] = ()

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.since is not None:
            clauses.append(audit_events.c.occurred_at >= self.since)
        if self.subscriber_code is not None:
            clauses.append(audit_events.c.subscriber_code == self.subscriber_code)
        if self.actor is not None:
            clauses.append(audit_events.c.actor == self.actor)
        if self.tags:
            clauses.append(audit_events.c.tag.in_(list(self.tags)))
        return clauses


def _hour(db: Connection) -> ColumnElement[str]:
    """The UTC hour of an event as ``YYYY-MM-DDTHH:00``, on either engine."""
    if db.dialect.name == "postgresql":
        return func.to_char(
            func.timezone("UTC", audit_events.c.occurred_at), literal('YYYY-MM-DD"T"HH24:00')
        )
    return func.strftime("%Y-%m-%dT%H:00", audit_events.c.occurred_at)


def views_per_hour(db: Connection, where: EventFilter) -> list[tuple[str, str, int]]:
    """(hour, result, count), oldest hour first."""
    hour = _hour(db).label("hour")
    query = (
        select(hour, audit_events.c.result, func.count().label("views"))
        .where(*where.clauses())
        .group_by(hour, audit_events.c.result)
        .order_by(hour, audit_events.c.result)
    )
    return [(row.hour, row.result, int(row.views)) for row in db.execute(query)]


def recent_events(db: Connection, where: EventFilter, *, limit: int) -> list[EventRow]:
    query = (
        select(*_EVENT_COLUMNS)
        .where(*where.clauses())
        .order_by(audit_events.c.id.desc())
        .limit(limit)
    )
    return [_event(row) for row in db.execute(query)]


def top_viewers(db: Connection, where: EventFilter, *, limit: int) -> list[tuple[str, int, int]]:
    """(actor, distinct codes, views): who looked at the most different accounts."""
    codes = func.count(audit_events.c.subscriber_code.distinct()).label("codes")
    query = (
        select(audit_events.c.actor, codes, func.count().label("views"))
        .where(audit_events.c.actor.is_not(None), *where.clauses())
        .group_by(audit_events.c.actor)
        .order_by(codes.desc(), audit_events.c.actor)
        .limit(limit)
    )
    return [(row.actor, int(row.codes), int(row.views)) for row in db.execute(query)]
