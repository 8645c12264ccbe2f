"""Every query the reading service needs, in one place. Returns domain values, never rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from waterbill.billing.tables import invoices, subscribers
from waterbill.calendar import YearMonth
from waterbill.disputes.domain import Photo
from waterbill.disputes.repository import photo_row
from waterbill.readings.domain import BillOfMonth, FollowedReading, Reading, status_of
from waterbill.readings.tables import (
    meter_reading_counter,
    meter_reading_photos,
    meter_readings,
    meter_replacements,
)

_later = meter_readings.alias("later")
_COLUMNS = (
    meter_readings.c.id,
    meter_readings.c.seq,
    meter_readings.c.reference,
    subscribers.c.code,
    meter_readings.c.reading,
    meter_readings.c.read_on,
    meter_readings.c.for_period,
    meter_readings.c.in_window,
    meter_readings.c.implausible,
    # Whether a photo is kept, without reading it: lists never carry the bytes.
    exists().where(meter_reading_photos.c.reading_id == meter_readings.c.id).label("has_photo"),
    meter_readings.c.submitted_at,
    meter_readings.c.submitted_by,
    meter_readings.c.meter_serial,
    meter_readings.c.last_billed,
    # The water line of the bill of the reading's month, once imported.
    invoices.c.basis,
    invoices.c.current_reading,
    # A later reading for the same month replaces this one.
    ~exists()
    .where(
        _later.c.subscriber_id == meter_readings.c.subscriber_id,
        _later.c.for_period == meter_readings.c.for_period,
        _later.c.seq > meter_readings.c.seq,
    )
    .label("newest_for_month"),
)
_FROM = meter_readings.join(subscribers, subscribers.c.id == meter_readings.c.subscriber_id).join(
    invoices,
    and_(
        invoices.c.subscriber_id == meter_readings.c.subscriber_id,
        invoices.c.period == meter_readings.c.for_period,
        invoices.c.service == "water",
    ),
    isouter=True,
)


def _reading(row: Any) -> Reading:
    return Reading(
        reference=row.reference,
        cursor=int(row.seq),
        code=row.code,
        reading=row.reading,
        read_on=row.read_on,
        for_period=YearMonth.parse(row.for_period),
        in_window=bool(row.in_window),
        implausible=bool(row.implausible),
        has_photo=bool(row.has_photo),
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        meter_serial=row.meter_serial,
        last_billed=row.last_billed,
    )


def _followed(row: Any) -> FollowedReading:
    reading = _reading(row)
    bill = (
        None
        if row.basis is None
        else BillOfMonth(basis=row.basis, current_reading=row.current_reading)
    )
    status = status_of(reading, newest_for_month=bool(row.newest_for_month), bill=bill)
    return FollowedReading(reading=reading, status=status, bill=bill)


def _select(*conditions: ColumnElement[bool]) -> Any:
    return select(*_COLUMNS).select_from(_FROM).where(*conditions)


def next_seq(db: Connection) -> int:
    """The next export cursor, counted in the caller's transaction.

    The upsert takes the counter's row lock (PostgreSQL) or the write lock (SQLite) and keeps it
    until the transaction ends: a submission cannot commit before an earlier-numbered one has
    committed or rolled back (which gives its number back). So a reader never sees a cursor while
    a smaller one is still to appear, and an export resuming after its last cursor misses nothing.
    """
    dialect_insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(meter_reading_counter)
        .values(id=1, last_seq=1)
        .on_conflict_do_update(
            index_elements=[meter_reading_counter.c.id],
            set_={"last_seq": meter_reading_counter.c.last_seq + 1},
        )
        .returning(meter_reading_counter.c.last_seq)
    )
    return int(db.execute(statement).scalar_one())


def count_submitted_since(db: Connection, *, subscriber_id: int, since: datetime) -> int:
    query = select(func.count()).where(
        meter_readings.c.subscriber_id == subscriber_id, meter_readings.c.submitted_at >= since
    )
    return int(db.execute(query).scalar_one())


def last_billed_reading(db: Connection, *, subscriber_id: int) -> tuple[Decimal, YearMonth] | None:
    """The newest water reading a bill carries, with its month."""
    row = db.execute(
        select(invoices.c.current_reading, invoices.c.period)
        .where(
            invoices.c.subscriber_id == subscriber_id,
            invoices.c.service == "water",
            invoices.c.current_reading.is_not(None),
        )
        .order_by(invoices.c.period.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else (row.current_reading, YearMonth.parse(row.period))


def latest_replacement(db: Connection, *, subscriber_id: int) -> tuple[date, Decimal] | None:
    row = db.execute(
        select(meter_replacements.c.replaced_on, meter_replacements.c.initial_reading)
        .where(meter_replacements.c.subscriber_id == subscriber_id)
        .order_by(meter_replacements.c.replaced_on.desc(), meter_replacements.c.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else (row.replaced_on, row.initial_reading)


def water_use(
    db: Connection, *, subscriber_id: int, first: YearMonth, last: YearMonth
) -> list[tuple[YearMonth, Decimal]]:
    rows = db.execute(
        select(invoices.c.period, invoices.c.consumption_m3).where(
            invoices.c.subscriber_id == subscriber_id,
            invoices.c.service == "water",
            invoices.c.period >= str(first),
            invoices.c.period <= str(last),
        )
    ).all()
    return [(YearMonth.parse(row.period), row.consumption_m3) for row in rows]


def meter_serial(db: Connection, *, subscriber_id: int) -> str | None:
    query = select(subscribers.c.meter_serial).where(subscribers.c.id == subscriber_id)
    serial: str | None = db.execute(query).scalar_one_or_none()
    return serial


def insert_reading(db: Connection, **values: Any) -> int:
    statement = insert(meter_readings).values(**values).returning(meter_readings.c.id)
    return int(db.execute(statement).scalar_one())


def insert_photo(db: Connection, *, reading_id: int, photo: Photo, at: datetime) -> None:
    db.execute(
        insert(meter_reading_photos).values(reading_id=reading_id, **photo_row(photo, at=at))
    )


def insert_replacement(db: Connection, **values: Any) -> None:
    db.execute(insert(meter_replacements).values(**values))


def find(db: Connection, *, reference: str) -> FollowedReading | None:
    row = db.execute(_select(meter_readings.c.reference == reference)).one_or_none()
    return None if row is None else _followed(row)


# Built once: it runs beside every statement page of a holder, and building a query costs more
# Python time than running it (the statement's repository found the same).
_OF_ACCOUNT = (
    _select(
        subscribers.c.code == bindparam("code"),
        meter_readings.c.submitted_at >= bindparam("since"),
    )
    .order_by(meter_readings.c.seq.desc())
    .limit(50)
)


def of_account(db: Connection, *, code: str, since: datetime) -> list[FollowedReading]:
    """The account's latest readings submitted since ``since``, newest first."""
    rows = db.execute(_OF_ACCOUNT, {"code": code, "since": since}).all()
    return [_followed(row) for row in rows]


def after_cursor(db: Connection, *, cursor: int, limit: int) -> list[Reading]:
    """Readings with a cursor above ``cursor``, in cursor order."""
    rows = db.execute(
        _select(meter_readings.c.seq > cursor).order_by(meter_readings.c.seq).limit(limit)
    ).all()
    return [_reading(row) for row in rows]


def submitted_between(db: Connection, *, start: datetime, end: datetime) -> list[FollowedReading]:
    """Readings submitted in [start, end), the implausible first, then in the order they came."""
    rows = db.execute(
        _select(meter_readings.c.submitted_at >= start, meter_readings.c.submitted_at < end)
        .order_by(meter_readings.c.implausible.desc(), meter_readings.c.seq)
        .limit(2000)
    ).all()
    return [_followed(row) for row in rows]


def photo(db: Connection, *, reference: str) -> Photo | None:
    row = db.execute(
        select(meter_reading_photos.c.content, meter_reading_photos.c.media_type)
        .join(meter_readings, meter_readings.c.id == meter_reading_photos.c.reading_id)
        .where(meter_readings.c.reference == reference)
    ).one_or_none()
    return None if row is None else Photo(data=bytes(row.content), media_type=row.media_type)
