"""Events into the outbox, each in the transaction of its cause (a transactional outbox).

Called by the import of a bill, the intake of a payment and the answer to a dispute, on their own
connection: a rolled-back change leaves no event, a committed one always has its rows. One row per
event, recipient and channel, only for confirmed addresses subscribed to the event for the code; a
repeat of the same event (a bill's second line, a retried request) adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    cast,
    literal,
    null,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select

from waterbill.billing.tables import invoices, payments, subscribers
from waterbill.calendar import Window, YearMonth
from waterbill.db.types import UTCDateTime
from waterbill.errors import ServiceError
from waterbill.notifications.domain import Event
from waterbill.notifications.tables import (
    notification_outbox,
    notification_recipients,
    notification_subscriptions,
)
from waterbill.presentation.explain import (
    LEAK_MIN_EXCESS_M3,
    LEAK_MIN_MONTHS,
    LEAK_RATIO,
    explain,
)
from waterbill.statement.service import get_statement

_COLUMNS = [
    "event",
    "event_key",
    "recipient_id",
    "channel",
    "address",
    "subscriber_id",
    "period",
    "ref",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]


def insert_ignoring_repeats(db: Connection) -> Any:
    """An INSERT into the outbox that skips a row whose idempotency key is already there."""
    dialect = postgresql if db.dialect.name == "postgresql" else sqlite
    return dialect.insert(notification_outbox)


def _enqueue(db: Connection, *, event: Event, source: Any, now: datetime) -> None:
    """``source`` has subscriber_id, period, ref and event_key: one row per event."""
    r = notification_recipients.c
    s = notification_subscriptions.c
    for channel, address, confirmed in (
        ("email", r.email, r.email_confirmed_at),
        ("sms", r.phone, r.phone_confirmed_at),
    ):
        rows = (
            select(
                literal(event, String(20)),
                source.c.event_key,
                r.id,
                literal(channel, String(5)),
                address,
                source.c.subscriber_id,
                source.c.period,
                source.c.ref,
                literal("queued", String(10)),
                literal(0, Integer),
                literal(now, UTCDateTime),
                literal(now, UTCDateTime),
            )
            .select_from(source)
            .join(
                notification_subscriptions,
                and_(s.subscriber_id == source.c.subscriber_id, s.event == event),
            )
            .join(notification_recipients, r.id == s.recipient_id)
            # A WHERE clause also tells SQLite that ON CONFLICT belongs to the INSERT.
            .where(confirmed.is_not(None), address.is_not(None))
        )
        statement = insert_ignoring_repeats(db).from_select(_COLUMNS, rows)
        db.execute(statement.on_conflict_do_nothing())


def bills_added(db: Connection, new_bills: Any, now: datetime) -> None:
    """``new_bills``: a subquery of (subscriber_id, period, code, metered) of new invoices.

    One ``bill_issued`` per subscriber and month; a ``leak_warning`` when the month is far above
    the household's usual, by the same rule as the statement's warning.
    """
    if db.scalar(select(notification_subscriptions.c.subscriber_id).limit(1)) is None:
        return  # nobody subscribes to anything yet: an import pays one row read, not a join
    bills = _monthly_events("bill_issued", new_bills).subquery("bills")
    _enqueue(db, event="bill_issued", source=bills, now=now)
    _leaks(db, new_bills, now)


def _leaks(db: Connection, new_bills: Any, now: datetime) -> None:
    s = notification_subscriptions.c
    r = notification_recipients.c
    # Only the few new bills somebody wants a leak warning for are looked at closer.
    wanted = db.execute(
        select(new_bills.c.subscriber_id, new_bills.c.code, new_bills.c.period)
        .join(
            notification_subscriptions,
            and_(s.subscriber_id == new_bills.c.subscriber_id, s.event == "leak_warning"),
        )
        .join(notification_recipients, r.id == s.recipient_id)
        .where(
            new_bills.c.metered == 1,
            (r.email_confirmed_at.is_not(None)) | (r.phone_confirmed_at.is_not(None)),
        )
        .distinct()
    ).all()
    leaks: list[tuple[int, str]] = []
    for subscriber_id, code, period in _may_leak(db, wanted):
        try:
            month = YearMonth.parse(period)
            statement = get_statement(db=db, code=code, as_of=month.first_day, code_length=(1, 32))
        except (ServiceError, ValueError):
            continue
        notes = explain(statement)[-1]
        if any(note.kind == "possible_leak" for note in notes):
            leaks.append((subscriber_id, period))
    # The leaks of the batch in one statement per channel, not two per leak.
    for start in range(0, len(leaks), _LOOKUP_CHUNK):
        chosen = tuple_(new_bills.c.subscriber_id, new_bills.c.period).in_(
            leaks[start : start + _LOOKUP_CHUNK]
        )
        source = _monthly_events("leak_warning", new_bills).where(chosen).subquery("leaks")
        _enqueue(db, event="leak_warning", source=source, now=now)


def _monthly_events(event: Event, new_bills: Any) -> Select[Any]:
    """One event per row of ``new_bills``, keyed as ``one`` keys it: EVENT:SUBSCRIBER:YYYY-MM."""
    return select(
        new_bills.c.subscriber_id,
        new_bills.c.period,
        null().label("ref"),
        (
            literal(f"{event}:", String(120))
            + cast(new_bills.c.subscriber_id, String(20))
            + literal(":", String(1))
            + new_bills.c.period
        ).label("event_key"),
    )


_LOOKUP_CHUNK = 1000


def _may_leak(db: Connection, wanted: Sequence[Any]) -> list[Any]:
    """The (subscriber_id, code, period) of ``wanted`` whose month may pass the leak rule.

    A statement per new bill costs milliseconds, and an import of a year adds twelve bills per
    household, so one query reads the wanted households' volumes first. A month is a possible
    leak only when it is at least ``LEAK_RATIO`` times and ``LEAK_MIN_EXCESS_M3`` above the
    median of the window's volumes, so above every volume up to that median: at least half of
    them. A month that is not is left out; the others are judged by the statement's own rules.
    """
    windows: dict[str, Window] = {}
    for _subscriber_id, _code, period in wanted:
        if period not in windows:
            try:
                windows[period] = Window.ending(YearMonth.parse(period).first_day)
            except ValueError:
                continue
    if not windows:
        return []
    first = str(min(window.first for window in windows.values()))
    last = str(max(window.last for window in windows.values()))
    i = invoices.c
    ids = sorted({subscriber_id for subscriber_id, _code, _period in wanted})
    volumes: dict[tuple[int, str], Decimal] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for subscriber_id, month, service, consumption in db.execute(
            select(i.subscriber_id, i.period, i.service, i.consumption_m3).where(
                i.subscriber_id.in_(ids[start : start + _LOOKUP_CHUNK]),
                i.period.between(first, last),
            )
        ):
            # The month's volume as ``explain.metered_m3`` takes it: water, else wastewater.
            if service == "water" or (subscriber_id, month) not in volumes:
                volumes[subscriber_id, month] = consumption
    out = []
    for row in wanted:
        subscriber_id, _code, period = row
        window = windows.get(period)
        if window is None:
            continue  # no month: the statement would refuse it too
        metered = [
            known
            for month in window.months
            if (known := volumes.get((subscriber_id, str(month)))) is not None
        ]
        volume = volumes.get((subscriber_id, str(window.last)))
        if volume is None or len(metered) < LEAK_MIN_MONTHS:
            continue
        below = sum(
            other * LEAK_RATIO <= volume and other + LEAK_MIN_EXCESS_M3 <= volume
            for other in metered
        )
        if 2 * below >= len(metered):
            out.append(row)
    return out


def one(
    db: Connection,
    *,
    event: Event,
    subscriber_id: int,
    now: datetime,
    period: str | None = None,
    ref: str | None = None,
) -> None:
    """One event of one subscriber (a payment, an answer, a leak), for every subscribed address."""
    identity = ref if ref is not None else f"{subscriber_id}:{period}"
    source = select(
        literal(subscriber_id, subscribers.c.id.type).label("subscriber_id"),
        literal(period, String(7)).label("period"),
        literal(ref, String(110)).label("ref"),
        literal(f"{event}:{identity}", String(120)).label("event_key"),
    ).subquery("one_event")
    _enqueue(db, event=event, source=source, now=now)


def payments_added(db: Connection, subscriber_ids: set[int], received_at: datetime) -> None:
    """The payments a feed batch stored (received at ``received_at``) of these subscribers.

    Only the subscribers somebody wants ``payment_posted`` for are looked at, so a bank's file
    of many thousand payments costs one small query when few people subscribe.
    """
    if not subscriber_ids:
        return
    s = notification_subscriptions.c
    wanted = list(
        db.scalars(
            select(s.subscriber_id)
            .where(s.event == "payment_posted", s.subscriber_id.in_(sorted(subscriber_ids)))
            .distinct()
        )
    )
    if not wanted:
        return
    ref = payments.c.channel + literal("/", String(1)) + payments.c.payment_id
    source = (
        select(
            payments.c.subscriber_id,
            null().label("period"),
            ref.label("ref"),
            (literal("payment_posted:", String(120)) + ref).label("event_key"),
        )
        .where(
            payments.c.subscriber_id.in_(wanted),
            payments.c.received_at == received_at,
            payments.c.amount > 0,
        )
        .subquery("new_payments")
    )
    _enqueue(db, event="payment_posted", source=source, now=received_at)


def payment_posted(
    db: Connection, *, subscriber_id: int, channel: str, payment_id: str, now: datetime
) -> None:
    one(
        db,
        event="payment_posted",
        subscriber_id=subscriber_id,
        ref=f"{channel}/{payment_id}",
        now=now,
    )


def dispute_answered(db: Connection, *, code: str, reference: str, now: datetime) -> None:
    subscriber_id = db.scalar(select(subscribers.c.id).where(subscribers.c.code == code))
    if subscriber_id is not None:
        one(db, event="dispute_answered", subscriber_id=subscriber_id, ref=reference, now=now)
