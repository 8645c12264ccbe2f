"""Every query the dispute service needs, in one place. Returns domain values, never rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from waterbill.billing.tables import subscribers
from waterbill.calendar import YearMonth
from waterbill.disputes.domain import (
    OPEN_STATUSES,
    ActorKind,
    Dispute,
    DisputeEvent,
    Photo,
    StaffFilter,
    Status,
)
from waterbill.disputes.tables import (
    dispute_events,
    dispute_photos,
    dispute_reference_counters,
    dispute_requests,
)

_COLUMNS = (
    dispute_requests.c.id,
    dispute_requests.c.reference,
    subscribers.c.code,
    dispute_requests.c.period,
    dispute_requests.c.service,
    dispute_requests.c.reason,
    dispute_requests.c.text,
    # Whether a photo is kept, without reading it: lists never carry the bytes.
    exists().where(dispute_photos.c.request_id == dispute_requests.c.id).label("has_photo"),
    dispute_requests.c.status,
    dispute_requests.c.filed_by,
    dispute_requests.c.answer,
    dispute_requests.c.answered_by,
    dispute_requests.c.filed_at,
    dispute_requests.c.answered_at,
    dispute_requests.c.closed_at,
    dispute_requests.c.updated_at,
)
_FROM = dispute_requests.join(subscribers, subscribers.c.id == dispute_requests.c.subscriber_id)


def _dispute(row: Any) -> Dispute:
    return Dispute(
        reference=row.reference,
        code=row.code,
        period=YearMonth.parse(row.period),
        service=row.service,
        reason=row.reason,
        text=row.text,
        has_photo=row.has_photo,
        status=row.status,
        filed_by=row.filed_by,
        answer=row.answer,
        answered_by=row.answered_by,
        filed_at=row.filed_at,
        answered_at=row.answered_at,
        closed_at=row.closed_at,
        updated_at=row.updated_at,
    )


def next_reference_number(db: Connection, *, year: int) -> int:
    """The next number of ``year``, counted in the caller's transaction.

    The upsert takes the year's counter row lock (PostgreSQL) or the write lock (SQLite) and keeps
    it to the end of the transaction: concurrent filings wait their turn, numbers never repeat,
    and a filing that rolls back gives its number back.
    """
    dialect_insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(dispute_reference_counters)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[dispute_reference_counters.c.year],
            set_={"last_number": dispute_reference_counters.c.last_number + 1},
        )
        .returning(dispute_reference_counters.c.last_number)
    )
    return int(db.execute(statement).scalar_one())


def count_filed_since(db: Connection, *, filed_by: str, since: datetime) -> int:
    query = select(func.count()).where(
        dispute_requests.c.filed_by == filed_by, dispute_requests.c.filed_at >= since
    )
    return int(db.execute(query).scalar_one())


def open_reference(db: Connection, *, subscriber_id: int, period: str, service: str) -> str | None:
    query = select(dispute_requests.c.reference).where(
        dispute_requests.c.subscriber_id == subscriber_id,
        dispute_requests.c.period == period,
        dispute_requests.c.service == service,
        dispute_requests.c.status.in_(OPEN_STATUSES),
    )
    return db.execute(query).scalar_one_or_none()


def insert_request(db: Connection, **values: Any) -> int:
    statement = insert(dispute_requests).values(**values).returning(dispute_requests.c.id)
    return int(db.execute(statement).scalar_one())


def photo_row(photo: Photo, *, at: datetime) -> dict[str, Any]:
    """The columns a stored meter photo has (``dispute_photos``, ``meter_reading_photos``)."""
    return {
        "media_type": photo.media_type,
        "byte_size": len(photo.data),
        "sha256": photo.sha256,
        "content": photo.data,
        "created_at": at,
    }


def insert_photo(db: Connection, *, request_id: int, photo: Photo, at: datetime) -> None:
    db.execute(insert(dispute_photos).values(request_id=request_id, **photo_row(photo, at=at)))


def photo(db: Connection, *, reference: str) -> Photo | None:
    row = db.execute(
        select(dispute_photos.c.content, dispute_photos.c.media_type)
        .join(dispute_requests, dispute_requests.c.id == dispute_photos.c.request_id)
        .where(dispute_requests.c.reference == reference)
    ).one_or_none()
    return None if row is None else Photo(data=bytes(row.content), media_type=row.media_type)


def file_photos_to_import(db: Connection) -> list[tuple[int, str, str, datetime]]:
    """Requests naming a photo file of the former store whose photo is not in the database yet.

    Each as (id, reference, file name, filed at), oldest first.
    """
    rows = db.execute(
        select(
            dispute_requests.c.id,
            dispute_requests.c.reference,
            dispute_requests.c.photo,
            dispute_requests.c.filed_at,
        )
        .where(
            dispute_requests.c.photo.is_not(None),
            ~exists().where(dispute_photos.c.request_id == dispute_requests.c.id),
        )
        .order_by(dispute_requests.c.id)
    ).all()
    return [(row.id, row.reference, row.photo, row.filed_at) for row in rows]


def insert_event(
    db: Connection,
    *,
    request_id: int,
    from_status: Status | None,
    to_status: Status,
    actor_kind: ActorKind,
    actor: str,
    note: str | None,
    at: datetime,
) -> None:
    db.execute(
        insert(dispute_events).values(
            request_id=request_id,
            from_status=from_status,
            to_status=to_status,
            actor_kind=actor_kind,
            actor=actor,
            note=note,
            at=at,
        )
    )


def find(db: Connection, *, reference: str) -> tuple[int, Dispute] | None:
    row = db.execute(
        select(*_COLUMNS).select_from(_FROM).where(dispute_requests.c.reference == reference)
    ).one_or_none()
    return None if row is None else (row.id, _dispute(row))


def history(db: Connection, *, request_id: int) -> tuple[DisputeEvent, ...]:
    rows = db.execute(
        select(dispute_events)
        .where(dispute_events.c.request_id == request_id)
        .order_by(dispute_events.c.at, dispute_events.c.id)
    ).all()
    return tuple(
        DisputeEvent(
            from_status=row.from_status,
            to_status=row.to_status,
            actor_kind=row.actor_kind,
            actor=row.actor,
            note=row.note,
            at=row.at,
        )
        for row in rows
    )


def filed_by(db: Connection, *, filed_by: str, limit: int = 200) -> list[Dispute]:
    rows = db.execute(
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(dispute_requests.c.filed_by == filed_by)
        .order_by(dispute_requests.c.filed_at.desc(), dispute_requests.c.id.desc())
        .limit(limit)
    ).all()
    return [_dispute(row) for row in rows]


def for_staff(db: Connection, *, where: StaffFilter) -> tuple[list[Dispute], int]:
    """One page of requests, oldest first (the queue order), and how many match in all."""
    conditions = []
    if where.status is not None:
        conditions.append(dispute_requests.c.status == where.status)
    if where.code is not None:
        conditions.append(subscribers.c.code == where.code)
    if where.period is not None:
        conditions.append(dispute_requests.c.period == str(where.period))
    rows = db.execute(
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(*conditions)
        .order_by(dispute_requests.c.filed_at, dispute_requests.c.id)
        .limit(where.limit)
        .offset(where.offset)
    ).all()
    total = db.execute(select(func.count()).select_from(_FROM).where(*conditions)).scalar_one()
    return [_dispute(row) for row in rows], int(total)


def change_status(
    db: Connection, *, request_id: int, expected: Status, values: dict[str, Any]
) -> bool:
    """Moves the request on only if nobody changed it meanwhile; False when somebody did."""
    result = db.execute(
        update(dispute_requests)
        .where(dispute_requests.c.id == request_id, dispute_requests.c.status == expected)
        .values(**values)
    )
    return result.rowcount == 1


# Built once: it runs beside every statement page, and building a query costs more Python time
# than running it (the statement's repository found the same).
_LATEST_PER_MONTH = (
    select(*_COLUMNS)
    .select_from(_FROM)
    .where(
        subscribers.c.code == bindparam("code"),
        dispute_requests.c.period.in_(bindparam("periods", expanding=True)),
    )
    .order_by(dispute_requests.c.filed_at.desc(), dispute_requests.c.id.desc())
)


def latest_per_month(db: Connection, *, code: str, periods: Iterable[str]) -> list[Dispute]:
    """Every request on these months of the account, newest first, for the statement page."""
    rows = db.execute(_LATEST_PER_MONTH, {"code": code, "periods": list(periods)}).all()
    return [_dispute(row) for row in rows]
