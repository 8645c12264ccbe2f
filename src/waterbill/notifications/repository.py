"""Every query of the notifications area except the outbox inserts (``outbox.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from waterbill.billing.tables import invoices, payments, subscribers
from waterbill.disputes.tables import dispute_requests
from waterbill.notifications.tables import (
    notification_outbox,
    notification_recipients,
    notification_subscriptions,
)

o = notification_outbox.c
r = notification_recipients.c
s = notification_subscriptions.c
PENDING = ("queued", "claimed", "sending")


def held_codes(db: Connection, fin: str) -> list[tuple[int, str]]:
    rows = db.execute(
        select(subscribers.c.id, subscribers.c.code)
        .where(subscribers.c.holder_fin == fin)
        .order_by(subscribers.c.code)
    )
    return [(row.id, row.code) for row in rows]


def recipient_of(db: Connection, citizen_id: str, *, lock: bool = False) -> Any:
    query = select(notification_recipients).where(r.citizen_id == citizen_id)
    if lock:
        query = query.with_for_update()
    return db.execute(query).one_or_none()


def recipient(db: Connection, recipient_id: int) -> Any:
    return db.execute(select(notification_recipients).where(r.id == recipient_id)).one_or_none()


def create_recipient(db: Connection, *, citizen_id: str, language: str, now: datetime) -> int:
    return int(
        db.execute(
            insert(notification_recipients)
            .values(citizen_id=citizen_id, language=language, created_at=now, updated_at=now)
            .returning(r.id)
        ).scalar_one()
    )


def update_recipient(db: Connection, recipient_id: int, **values: Any) -> None:
    db.execute(update(notification_recipients).where(r.id == recipient_id).values(**values))


def subscriptions(db: Connection, recipient_id: int) -> list[tuple[int, str]]:
    rows = db.execute(select(s.subscriber_id, s.event).where(s.recipient_id == recipient_id))
    return [(row.subscriber_id, row.event) for row in rows]


def replace_subscriptions(
    db: Connection, recipient_id: int, wanted: Iterable[tuple[int, str]]
) -> None:
    db.execute(delete(notification_subscriptions).where(s.recipient_id == recipient_id))
    rows = [
        {"recipient_id": recipient_id, "subscriber_id": subscriber_id, "event": event}
        for subscriber_id, event in sorted(set(wanted))
    ]
    if rows:
        db.execute(insert(notification_subscriptions), rows)


def unsubscribe(db: Connection, recipient_id: int, subscriber_id: int, event: str) -> int:
    return db.execute(
        delete(notification_subscriptions).where(
            s.recipient_id == recipient_id, s.subscriber_id == subscriber_id, s.event == event
        )
    ).rowcount


def confirmations_since(db: Connection, recipient_id: int, since: datetime) -> int:
    return int(
        db.scalar(
            select(func.count()).where(
                o.recipient_id == recipient_id, o.event == "confirm", o.created_at >= since
            )
        )
        or 0
    )


def subscriber_code(db: Connection, subscriber_id: int) -> str | None:
    return db.scalar(select(subscribers.c.code).where(subscribers.c.id == subscriber_id))


# The worker


def release_stale_claims(db: Connection, *, before: datetime, max_attempts: int) -> tuple[int, int]:
    """Claims older than the lease: back to the queue when the mail was never handed over,
    ``uncertain`` when the worker died after handing it over (it is never sent twice).

    A row whose every try ended with its worker dead is dead-lettered like any other.
    """
    stale = o.claimed_at < before
    db.execute(
        update(notification_outbox)
        .where(o.status == "claimed", stale, o.attempts >= max_attempts)
        .values(status="failed", last_error="worker stopped during every try")
    )
    requeued = db.execute(
        update(notification_outbox)
        .where(o.status == "claimed", stale)
        .values(status="queued", claimed_by=None, claimed_at=None)
    ).rowcount
    uncertain = db.execute(
        update(notification_outbox)
        .where(o.status == "sending", stale)
        .values(status="uncertain", last_error="worker stopped during delivery")
    ).rowcount
    return requeued, uncertain


FINISHED = ("sent", "skipped", "failed", "uncertain")


def prune(db: Connection, *, before: datetime) -> int:
    """Forgets finished deliveries, and the addresses they name, after the retention.

    ``next_attempt_at`` is when the last try was due, so never later than the end of a row; it
    is read through the status index.
    """
    return db.execute(
        delete(notification_outbox).where(o.status.in_(FINISHED), o.next_attempt_at < before)
    ).rowcount


def claim(db: Connection, *, worker: str, now: datetime, limit: int) -> list[int]:
    """Due rows for this worker; on PostgreSQL rows another worker holds are skipped, not waited
    for (FOR UPDATE SKIP LOCKED), so workers share the queue without blocking each other."""
    due = (
        select(o.id)
        .where(o.status == "queued", o.next_attempt_at <= now)
        .order_by(o.next_attempt_at, o.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.scalars(due))
    if not ids:
        return []
    claimed = db.execute(
        update(notification_outbox)
        # The status test keeps a row one worker claimed from another (SQLite has no row locks).
        .where(o.id.in_(ids), o.status == "queued")
        .values(status="claimed", claimed_by=worker, claimed_at=now, attempts=o.attempts + 1)
        .returning(o.id)
    )
    return sorted(claimed.scalars())


def delivery(db: Connection, outbox_id: int) -> Any:
    """The outbox row with what the worker checks before it sends."""
    return db.execute(
        select(
            notification_outbox,
            r.citizen_id,
            r.email,
            r.email_confirmed_at,
            r.phone,
            r.phone_confirmed_at,
            r.language,
            subscribers.c.code,
            subscribers.c.holder_fin,
        )
        .join(notification_recipients, r.id == o.recipient_id)
        .outerjoin(subscribers, subscribers.c.id == o.subscriber_id)
        .where(o.id == outbox_id)
    ).one()


def still_subscribed(db: Connection, recipient_id: int, subscriber_id: int, event: str) -> bool:
    return (
        db.scalar(
            select(func.count()).where(
                s.recipient_id == recipient_id, s.subscriber_id == subscriber_id, s.event == event
            )
        )
        or 0
    ) > 0


def move(db: Connection, outbox_id: int, *, worker: str, expected: str, **values: Any) -> bool:
    """Changes the row only while this worker still holds it in the ``expected`` state."""
    changed = db.execute(
        update(notification_outbox)
        .where(o.id == outbox_id, o.status == expected, o.claimed_by == worker)
        .values(**values)
    ).rowcount
    return bool(changed)


def bill_figures(db: Connection, subscriber_id: int, period: str) -> tuple[Any, Any]:
    row = db.execute(
        select(
            func.sum(invoices.c.amount),
            # The water and the wastewater line bill the same volume.
            func.max(invoices.c.consumption_m3),
        ).where(invoices.c.subscriber_id == subscriber_id, invoices.c.period == period)
    ).one()
    return row[0], row[1]


def payment_figures(db: Connection, ref: str) -> tuple[Any, Any] | None:
    channel, _, payment_id = ref.partition("/")
    row = db.execute(
        select(payments.c.amount, payments.c.paid_at).where(
            payments.c.channel == channel, payments.c.payment_id == payment_id
        )
    ).one_or_none()
    return None if row is None else (row.amount, row.paid_at)


def dispute_period(db: Connection, reference: str) -> str | None:
    return db.scalar(
        select(dispute_requests.c.period).where(dispute_requests.c.reference == reference)
    )


def outbox_counts(db: Connection, *, now: datetime) -> tuple[dict[str, int], datetime | None]:
    """For /metrics, each through the status index, so a scrape stays cheap however many rows
    the retention keeps: waiting and failed rows by status, and those sent in the last hour."""
    counts = {
        status: int(count)
        for status, count in db.execute(
            select(o.status, func.count())
            .where(o.status.in_((*PENDING, "failed", "uncertain")))
            .group_by(o.status)
        )
    }
    counts["sent_last_hour"] = int(
        db.scalar(
            select(func.count()).where(
                o.status == "sent", o.next_attempt_at >= now - timedelta(hours=1)
            )
        )
        or 0
    )
    # The waiting rows are few (the status index finds them), so their ages are cheap to read.
    oldest = db.scalar(select(func.min(o.created_at)).where(o.status.in_(PENDING)))
    return counts, oldest
