"""The audit log's entry points: append an event, verify the chains, prune them, and report.

An append is one statement on PostgreSQL (the head's UPDATE feeding the event's INSERT, the row
sealed in SQL) and three on SQLite, inside the caller's short write transaction: cheap enough for
every statement view. The log is ``WATERBILL_AUDIT_CHAINS``
independent chains (issue 9): an append locks only its own chain's head until commit, so appends
on different chains commit in parallel instead of queueing on one row.
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Connection

from waterbill import clock
from waterbill.audit import repository
from waterbill.audit.chain import (
    Anchor,
    ChainReport,
    EventRow,
    Head,
    LogReport,
    canonical_details,
    canonical_form,
    row_hash,
    verify_rows,
)
from waterbill.audit.repository import EventFilter
from waterbill.audit.tags import VIEW_TAGS, Channel, EventTag, Result
from waterbill.config import get_settings

Details = Mapping[str, str | int | bool | None]


class ChainBroken(Exception):
    """Raised where going on would hide tampering (pruning a broken prefix)."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.describe())
        self.report = report


class _ChainPicker:
    """Round-robin over the chains, per process, starting at an offset taken from the process id.

    Round-robin rather than a hash of the actor or request: k appends in flight in one process land
    on k different chains (for k up to the chain count), and one busy actor cannot pile onto a
    single chain. The pid offset keeps worker processes and instances from marching in step; a
    collision only means one short wait, never an error. Re-seeded after a fork.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._counter: Iterator[int] = iter(())

    def next(self, chains: int) -> int:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._counter = itertools.count(self._pid * 7919)
            return next(self._counter) % chains


_picker = _ChainPicker()
_TRANSACTION_CHAIN = "waterbill.audit.chain"


def _chain_for(db: Connection) -> int:
    """The chain for an append: one per transaction, so a transaction locks at most one head.

    Two appends in one transaction on two chains could deadlock against another such transaction,
    or against a prune (which locks every head in order); staying on one chain rules that out.
    """
    transaction = db.get_transaction()
    pinned = db.info.get(_TRANSACTION_CHAIN)
    if transaction is not None and pinned is not None and pinned[0]() is transaction:
        return int(pinned[1])
    chain = _picker.next(get_settings().audit_chains)
    if transaction is not None:
        db.info[_TRANSACTION_CHAIN] = (weakref.ref(transaction), chain)
    return chain


def record_event(
    *,
    db: Connection,
    tag: EventTag,
    actor: str | None,
    channel: Channel,
    code: str | None = None,
    auth_method: str | None = None,
    result: Result | None = None,
    reason: str | None = None,
    details: Details | None = None,
    now: datetime | None = None,
    chain: int | None = None,
) -> int:
    """Append one event to a chain in ``db``'s transaction; returns the row's global id.

    ``actor`` is a pseudonymous id (never a FIN); ``details`` hold no personal data. Call it last in
    the transaction: the chain's head stays locked until the transaction ends. ``chain`` is chosen
    round-robin unless given.
    """
    if chain is None:
        chain = _chain_for(db)
    # Position and previous hash are the head's to give, under its lock.
    event = EventRow(
        seq=0,
        occurred_at=(now or clock.now()).astimezone(UTC),
        tag=str(tag),
        actor=actor,
        subscriber_code=code,
        channel=channel,
        auth_method=auth_method,
        result=result,
        reason=reason,
        details=canonical_details(details),
        prev_hash="",
        chain=chain,
    )
    if db.dialect.name == "postgresql":
        # One round trip instead of three: this runs on every statement view (issue 9).
        return repository.append_on_head(db, event, canonical_form(event))
    head = repository.claim_next_seq(db, chain)
    return _seal(db, replace(event, seq=head.last_seq, prev_hash=head.last_hash))


def _seal(db: Connection, event: EventRow) -> int:
    return repository.append(db, replace(event, row_hash=row_hash(event)))


def verify_chain(*, db: Connection) -> LogReport:
    """Check every chain independently, from its latest anchor to its head.

    Each chain's report names its first broken row (position and id). Safe while the application
    appends: each walk stops at the head read first, and a row beyond the head is looked for in one
    statement, which sees the head and the rows at the same moment.
    """
    return LogReport(
        chains=tuple(_verify_one(db, chain) for chain in repository.chains_present(db))
    )


def _verify_one(db: Connection, chain: int) -> ChainReport:
    head = repository.read_head(db, chain)
    anchor = repository.latest_anchor(db, chain)
    report = verify_rows(
        repository.iter_events(
            db,
            chain=chain,
            after_seq=anchor.seq,
            up_to_seq=head.last_seq if head is not None else None,
        ),
        anchor=anchor,
        head=head,
        locate=lambda digest: repository.seq_with_hash(db, chain, digest),
    )
    if report.intact and head is not None:
        beyond = repository.first_beyond_head(db, chain)
        if beyond is not None:
            return replace(
                report,
                problem="inserted",
                bad_seq=beyond[0],
                bad_id=beyond[1],
                detail="the row lies beyond the chain head",
            )
    return report


@dataclass(frozen=True, slots=True)
class PruneResult:
    rows_pruned: int
    anchors: tuple[Anchor, ...]

    @property
    def anchor(self) -> Anchor | None:
        """The lowest-numbered chain's new anchor (chain 0's when it had rows to prune)."""
        ordered = sorted(self.anchors, key=lambda anchor: anchor.chain)
        return ordered[0] if ordered else None


def prune(
    *, db: Connection, older_than: datetime, channel: Channel = "cli", actor: str | None = None
) -> PruneResult:
    """Delete each chain's prefix of rows older than ``older_than``, keeping its last hash.

    Every chain's prefix is verified first: pruning must never launder a tampered row out of sight.
    All heads are locked (in chain order, so two prunes cannot deadlock) before anything is
    deleted; the prune is then recorded as one event in chain 0.
    """
    if older_than.tzinfo is None:
        raise ValueError("older_than must be timezone-aware")
    pruned_at = clock.now()
    heads = {chain: repository.lock_head(db, chain) for chain in repository.head_chains(db)}
    anchors: list[Anchor] = []
    count = 0
    for chain, head in heads.items():
        anchor = repository.latest_anchor(db, chain)
        first_recent = repository.first_seq_since(db, chain, older_than)
        up_to = head.last_seq if first_recent is None else first_recent - 1
        if up_to <= anchor.seq:
            continue
        last_hash = repository.hash_of(db, chain, up_to)
        report = verify_rows(
            repository.iter_events(db, chain=chain, after_seq=anchor.seq, up_to_seq=up_to),
            anchor=anchor,
            head=Head(last_seq=up_to, last_hash=last_hash or ""),
            locate=partial(repository.seq_with_hash, db, chain),
        )
        if not report.intact or last_hash is None:
            raise ChainBroken(report)
        kept = Anchor(seq=up_to, row_hash=last_hash, chain=chain)
        removed = repository.delete_up_to(db, chain, up_to)
        repository.add_anchor(db, anchor=kept, rows_pruned=removed, pruned_at=pruned_at)
        anchors.append(kept)
        count += removed
    result = PruneResult(rows_pruned=count, anchors=tuple(anchors))
    record_event(
        db=db,
        tag=EventTag.ADMIN_AUDIT_PRUNE,
        actor=actor,
        channel=channel,
        details={
            "rows_pruned": count,
            "chains_pruned": len(anchors),
            "up_to_seq": result.anchor.seq if result.anchor else None,
        },
        now=pruned_at,
        chain=0,
    )
    return result


# Oversight reports --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourCount:
    hour: str
    full: int
    masked: int
    refused: int

    @property
    def total(self) -> int:
        return self.full + self.masked + self.refused


@dataclass(frozen=True, slots=True)
class TopViewer:
    actor: str
    distinct_codes: int
    views: int


@dataclass(frozen=True, slots=True)
class OversightReport:
    since: datetime
    subscriber_code: str | None
    actor: str | None
    per_hour: list[HourCount]
    refusals: list[EventRow]
    top_viewers: list[TopViewer]


def oversight_report(
    *,
    db: Connection,
    since: datetime | None = None,
    code: str | None = None,
    actor: str | None = None,
    limit: int = 20,
) -> OversightReport:
    """Views per hour and refusals for a code or a citizen, and who viewed the most accounts.

    The ranking of viewers is across all codes since ``since``: scraping shows up there.
    """
    since = since or clock.now() - timedelta(days=7)
    scoped = EventFilter(since=since, subscriber_code=code, actor=actor, tags=VIEW_TAGS)
    hours: dict[str, dict[str, int]] = {}
    for hour, result, views in repository.views_per_hour(db, scoped):
        hours.setdefault(hour, {})[result or "refused"] = views
    per_hour = [
        HourCount(
            hour=hour,
            full=counts.get("full", 0),
            masked=counts.get("masked", 0),
            refused=counts.get("refused", 0),
        )
        for hour, counts in sorted(hours.items())
    ]
    refused = EventFilter(
        since=since, subscriber_code=code, actor=actor, tags=(EventTag.ACCESS_REFUSED,)
    )
    ranking = EventFilter(since=since, actor=actor, tags=(EventTag.STATEMENT_VIEW,))
    return OversightReport(
        since=since,
        subscriber_code=code,
        actor=actor,
        per_hour=per_hour,
        refusals=repository.recent_events(db, refused, limit=limit),
        top_viewers=[
            TopViewer(actor=who, distinct_codes=codes, views=views)
            for who, codes, views in repository.top_viewers(db, ranking, limit=limit)
        ],
    )
