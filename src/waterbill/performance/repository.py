"""The queries of the performance figures, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from waterbill.disputes.tables import dispute_requests
from waterbill.performance.tables import (
    feedback,
    performance_counts,
    performance_journeys,
    performance_minutes,
)

CountKey = tuple[date, str, str, str]  # day, event, channel, outcome


def _insert(db: Connection, table: Any) -> Any:
    return (pg_insert if db.dialect.name == "postgresql" else sqlite_insert)(table)


def add_counts(db: Connection, counts: Iterable[tuple[CountKey, int]]) -> None:
    """Add each count to its row, creating the row when it is the first of its day.

    In key order, so that two instances adding to the same rows never wait on each other in a
    cycle (a deadlock on PostgreSQL).
    """
    rows = [
        {"day": day, "event": event, "channel": channel, "outcome": outcome, "count": count}
        for (day, event, channel, outcome), count in sorted(counts)
    ]
    if not rows:
        return
    statement = _insert(db, performance_counts)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "event", "channel", "outcome"],
        set_={"count": performance_counts.c.count + statement.excluded["count"]},
    )
    db.execute(statement, rows)


def mark_minute(db: Connection, *, minute: datetime, day: date, state: str) -> None:
    """This minute was served (``up``) or closed for maintenance; the first word stands."""
    statement = _insert(db, performance_minutes).values(minute=minute, day=day, state=state)
    db.execute(statement.on_conflict_do_nothing(index_elements=["minute"]))


def start_journey(db: Connection, *, journey_id: str, day: date) -> None:
    statement = _insert(db, performance_journeys).values(
        id=journey_id, signed_in_on=day, reached=False
    )
    db.execute(statement.on_conflict_do_nothing(index_elements=["id"]))


def mark_journeys_reached(db: Connection, journey_ids: Sequence[str]) -> None:
    for start in range(0, len(journey_ids), 500):
        chunk = sorted(journey_ids[start : start + 500])
        db.execute(
            update(performance_journeys)
            .where(performance_journeys.c.id.in_(chunk), performance_journeys.c.reached.is_(False))
            .values(reached=True)
        )


def add_feedback(
    db: Connection, *, day: date, rating: int, comment: str | None, at: datetime
) -> None:
    db.execute(feedback.insert().values(day=day, rating=rating, comment=comment, created_at=at))


# Reading ----------------------------------------------------------------------------------------


def counts_between(db: Connection, first: date, last: date) -> Sequence[Any]:
    c = performance_counts.c
    return db.execute(
        select(c.day, c.event, c.channel, c.outcome, c.count).where(c.day.between(first, last))
    ).all()


def _per_day(
    db: Connection, day: Any, key: Any, first: date, last: date, *where: Any
) -> Sequence[Any]:
    """(day, key, rows) for the days from ``first`` to ``last``."""
    return db.execute(
        select(day, key, func.count()).where(day.between(first, last), *where).group_by(day, key)
    ).all()


def minutes_between(db: Connection, first: date, last: date, *, before: datetime) -> Sequence[Any]:
    """(day, state, minutes) for the days from ``first`` to ``last``, minutes before ``before``."""
    c = performance_minutes.c
    return _per_day(db, c.day, c.state, first, last, c.minute < before)


def first_minute(db: Connection) -> datetime | None:
    """When measuring began: the first minute any instance ever wrote."""
    value: datetime | None = db.execute(select(func.min(performance_minutes.c.minute))).scalar()
    return value


def journeys_between(db: Connection, first: date, last: date) -> Sequence[Any]:
    """(day, reached, sign-ins) for the days from ``first`` to ``last``."""
    c = performance_journeys.c
    return _per_day(db, c.signed_in_on, c.reached, first, last)


def ratings_between(db: Connection, first: date, last: date) -> Sequence[Any]:
    """(day, rating, responses) for the days from ``first`` to ``last``."""
    return _per_day(db, feedback.c.day, feedback.c.rating, first, last)


def disputes_since(db: Connection, since: datetime) -> Sequence[Any]:
    """(filed_at, answered_at) of the requests filed or answered since ``since``."""
    c = dispute_requests.c
    return db.execute(
        select(c.filed_at, c.answered_at).where((c.filed_at >= since) | (c.answered_at >= since))
    ).all()


def recent_comments(db: Connection, *, limit: int) -> Sequence[Any]:
    c = feedback.c
    return db.execute(
        select(c.created_at, c.rating, c.comment)
        .where(c.comment.is_not(None))
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(limit)
    ).all()
