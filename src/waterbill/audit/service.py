"""The audit log's entry points: append an event, verify the chain, prune it, and report on it.

Appends are one UPDATE of the chain head, one INSERT and one UPDATE, inside the caller's short write
transaction: cheap enough for every statement view, and serialised across app instances by the
head row's lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from waterbill.audit import repository
from waterbill.audit.chain import (
    Anchor,
    ChainReport,
    EventRow,
    Head,
    canonical_details,
    row_hash,
    verify_rows,
)
from waterbill.audit.repository import EventFilter
from waterbill.audit.tags import VIEW_TAGS, Channel, EventTag, Result

Details = Mapping[str, str | int | bool | None]


class ChainBroken(Exception):
    """Raised where going on would hide tampering (pruning a broken prefix)."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.describe())
        self.report = report


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
) -> int:
    """Append one event to the chain in ``db``'s transaction; returns its sequence number.

    ``actor`` is a pseudonymous id (never a FIN); ``details`` hold no personal data. Call it last in
    the transaction: the chain head stays locked until the transaction ends.
    """
    text = canonical_details(details)
    head = repository.claim_next_seq(db)
    return _seal(
        db,
        EventRow(
            seq=head.last_seq,
            occurred_at=(now or datetime.now(UTC)).astimezone(UTC),
            tag=str(tag),
            actor=actor,
            subscriber_code=code,
            channel=channel,
            auth_method=auth_method,
            result=result,
            reason=reason,
            details=text,
            prev_hash=head.last_hash,
        ),
    )


def _seal(db: Connection, event: EventRow) -> int:
    repository.append(db, replace(event, row_hash=row_hash(event)))
    return event.seq


def verify_chain(*, db: Connection) -> ChainReport:
    """Check every kept row from the latest anchor to the head; names the first broken row.

    Safe while the application appends: the walk stops at the head read first, and a row beyond
    the head is looked for in one statement, which sees the head and the rows at the same moment.
    """
    head = repository.read_head(db)
    anchor = repository.latest_anchor(db)
    report = verify_rows(
        repository.iter_events(
            db, after_seq=anchor.seq, up_to_seq=head.last_seq if head is not None else None
        ),
        anchor=anchor,
        head=head,
        locate=lambda digest: repository.seq_with_hash(db, digest),
    )
    if report.intact and head is not None:
        beyond = repository.first_seq_beyond_head(db)
        if beyond is not None:
            return replace(
                report,
                problem="inserted",
                bad_seq=beyond,
                detail="the row lies beyond the chain head",
            )
    return report


@dataclass(frozen=True, slots=True)
class PruneResult:
    rows_pruned: int
    anchor: Anchor | None


def prune(
    *, db: Connection, older_than: datetime, channel: Channel = "cli", actor: str | None = None
) -> PruneResult:
    """Delete the prefix of rows older than ``older_than``, keeping its last hash as an anchor.

    The prefix is verified first: pruning must never launder a tampered row out of sight.
    """
    if older_than.tzinfo is None:
        raise ValueError("older_than must be timezone-aware")
    # Taking a sequence number locks the head: no append or other prune runs meanwhile.
    marker = repository.claim_next_seq(db)
    anchor = repository.latest_anchor(db)
    first_recent = repository.first_seq_since(db, older_than)
    up_to = (marker.last_seq - 1) if first_recent is None else first_recent - 1
    pruned: Anchor | None = None
    count = 0
    if up_to > anchor.seq:
        last_hash = repository.hash_of(db, up_to)
        report = verify_rows(
            repository.iter_events(db, after_seq=anchor.seq, up_to_seq=up_to),
            anchor=anchor,
            head=Head(last_seq=up_to, last_hash=last_hash or ""),
            locate=lambda digest: repository.seq_with_hash(db, digest),
        )
        if not report.intact or last_hash is None:
            raise ChainBroken(report)
        pruned = Anchor(seq=up_to, row_hash=last_hash)
        count = repository.delete_up_to(db, up_to)
        repository.add_anchor(db, anchor=pruned, rows_pruned=count, pruned_at=datetime.now(UTC))
    _seal(
        db,
        EventRow(
            seq=marker.last_seq,
            occurred_at=datetime.now(UTC),
            tag=str(EventTag.ADMIN_AUDIT_PRUNE),
            actor=actor,
            subscriber_code=None,
            channel=channel,
            auth_method=None,
            result=None,
            reason=None,
            details=canonical_details(
                {"rows_pruned": count, "up_to_seq": pruned.seq if pruned else None}
            ),
            prev_hash=marker.last_hash,
        ),
    )
    return PruneResult(rows_pruned=count, anchor=pruned)


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
    since = since or datetime.now(UTC) - timedelta(days=7)
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
