"""The entry points of the figures: the report the page, the JSON and the CSV show, the journey
of a sign-in, the feedback, and the comments the staff read."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from waterbill import clock
from waterbill.audit.events import record_citizen_event
from waterbill.audit.tags import EventTag
from waterbill.auth.identity import Citizen
from waterbill.calendar import baku_date, start_of_baku_day
from waterbill.db.database import Database
from waterbill.performance import repository
from waterbill.performance.domain import (
    CERTIFICATE,
    DOWNLOAD,
    RATINGS,
    STATEMENT_MS,
    STATEMENT_VIEW,
    Availability,
    clean_comment,
    parse_rating,
    percentile,
)
from waterbill.performance.recorder import Recorder, journey_id

PERIOD_DAYS = 30
DIGITAL_CHANNELS = ("web", "api")


@dataclass(slots=True)
class DayFigures:
    day: date
    shown_by_channel: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    latency: Counter[str] = field(default_factory=Counter)
    sign_ins: int = 0
    completions: int = 0
    downloads: int = 0
    certificates: int = 0
    disputes_filed: int = 0
    disputes_answered: int = 0
    availability: Availability = field(default_factory=lambda: Availability(0, 0, 0))
    ratings: Counter[int] = field(default_factory=Counter)

    @property
    def views(self) -> int:
        """Statements shown, every channel."""
        return sum(self.shown_by_channel.values())

    @property
    def latency_count(self) -> int:
        return sum(self.latency.values())

    @property
    def median_ms(self) -> float | None:
        return percentile(self.latency, 0.5)

    @property
    def p95_ms(self) -> float | None:
        return percentile(self.latency, 0.95)

    @property
    def responses(self) -> int:
        return sum(self.ratings.values())


@dataclass(frozen=True, slots=True)
class Kpis:
    cost_per_transaction: Decimal | None
    digital_take_up: float | None
    digital_transactions: int
    other_transactions: int | None


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of the last ``period_days`` Baku days, today included."""

    first: date
    last: date
    days: list[DayFigures]
    total: DayFigures
    answer_hours: list[float]
    kpis: Kpis

    @property
    def period_days(self) -> int:
        return len(self.days)

    @property
    def completion_rate(self) -> float | None:
        if self.total.sign_ins == 0:
            return None
        return min(1.0, self.total.completions / self.total.sign_ins)

    @property
    def satisfaction_mean(self) -> float | None:
        responses = self.total.responses
        if responses == 0:
            return None
        return sum(rating * n for rating, n in self.total.ratings.items()) / responses

    @property
    def user_satisfaction(self) -> float | None:
        """GOV.UK's figure: the share who found it easy (4 or 5 of 5)."""
        responses = self.total.responses
        if responses == 0:
            return None
        return (self.total.ratings[4] + self.total.ratings[5]) / responses

    @property
    def median_hours_to_answer(self) -> float | None:
        return statistics.median(self.answer_hours) if self.answer_hours else None


def _observed_minutes(day: date, *, since: datetime | None, until: datetime) -> int:
    """Whole minutes of ``day`` between the start of measuring and ``until`` (exclusive)."""
    if since is None:
        return 0
    start = max(start_of_baku_day(day), since)
    end = min(start_of_baku_day(day + timedelta(days=1)), until)
    return max(0, int((end - start).total_seconds() // 60))


def performance_report(
    *,
    db: Connection,
    now: datetime | None = None,
    days: int = PERIOD_DAYS,
    cost_per_transaction: Decimal | None = None,
    other_channel_transactions_per_day: int | None = None,
) -> Report:
    """The figures of the last ``days`` Baku days, ending today, from every instance's counts."""
    now = now or clock.now()
    last = baku_date(now)
    first = last - timedelta(days=days - 1)
    by_day = {first + timedelta(days=n): DayFigures(first + timedelta(days=n)) for n in range(days)}

    for day, event, channel, outcome, count in repository.counts_between(db, first, last):
        figures = by_day[day]
        if event == STATEMENT_VIEW:
            figures.by_outcome[outcome] += count
            if outcome == "shown":
                figures.shown_by_channel[channel] += count
        elif event == STATEMENT_MS:
            figures.latency[outcome] += count
        elif event == DOWNLOAD:
            figures.downloads += count
        elif event == CERTIFICATE and outcome == "issued":
            figures.certificates += count

    for day, reached, n in repository.journeys_between(db, first, last):
        by_day[day].sign_ins += n
        if reached:
            by_day[day].completions += n

    for day, rating, n in repository.ratings_between(db, first, last):
        by_day[day].ratings[rating] += n

    # The current minute is not over: it counts from the next one on.
    current_minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    began = repository.first_minute(db)
    minutes: dict[date, Counter[str]] = defaultdict(Counter)
    for day, state, n in repository.minutes_between(db, first, last, before=current_minute):
        minutes[day][state] += n
    for day, figures in by_day.items():
        figures.availability = Availability(
            observed=_observed_minutes(day, since=began, until=current_minute),
            up=minutes[day]["up"],
            maintenance=minutes[day]["maintenance"],
        )

    start = start_of_baku_day(first)
    answer_hours: list[float] = []
    for filed_at, answered_at in repository.disputes_since(db, start):
        if filed_at >= start:
            by_day[baku_date(filed_at)].disputes_filed += 1
        if answered_at is not None and answered_at >= start:
            by_day[baku_date(answered_at)].disputes_answered += 1
            answer_hours.append((answered_at - filed_at).total_seconds() / 3600)

    total = _sum(list(by_day.values()), first)
    digital = sum(total.shown_by_channel[channel] for channel in DIGITAL_CHANNELS)
    other = (
        None
        if other_channel_transactions_per_day is None
        else other_channel_transactions_per_day * days + total.shown_by_channel["cli"]
    )
    take_up = digital / (digital + other) if other is not None and digital + other else None
    return Report(
        first=first,
        last=last,
        days=list(by_day.values()),
        total=total,
        answer_hours=answer_hours,
        kpis=Kpis(
            cost_per_transaction=cost_per_transaction,
            digital_take_up=take_up,
            digital_transactions=digital,
            other_transactions=other,
        ),
    )


def _sum(days: list[DayFigures], first: date) -> DayFigures:
    total = DayFigures(first)
    observed = up = maintenance = 0
    for figures in days:
        total.shown_by_channel.update(figures.shown_by_channel)
        total.by_outcome.update(figures.by_outcome)
        total.latency.update(figures.latency)
        total.ratings.update(figures.ratings)
        total.sign_ins += figures.sign_ins
        total.completions += figures.completions
        total.downloads += figures.downloads
        total.certificates += figures.certificates
        total.disputes_filed += figures.disputes_filed
        total.disputes_answered += figures.disputes_answered
        observed += figures.availability.observed
        up += figures.availability.up
        maintenance += figures.availability.maintenance
    total.availability = Availability(observed=observed, up=up, maintenance=maintenance)
    return total


def by_rating(report: Report) -> Mapping[int, int]:
    return {rating: report.total.ratings[rating] for rating in RATINGS}


def record_statement_view(
    *, database: Database, channel: str, outcome: str, seconds: float | None
) -> None:
    """One statement asked for outside a web server (the command line): written at once."""
    recorder = Recorder(database.primary)
    recorder.statement_view(channel=channel, outcome=outcome, seconds=seconds)
    recorder.flush()


def start_journey(*, db: Connection, session_hash: str) -> None:
    """A citizen signed in: a journey that may reach a statement (the completion rate)."""
    repository.start_journey(db, journey_id=journey_id(session_hash), day=clock.today())


def submit_feedback(*, db: Connection, rating: object, comment: str | None) -> None:
    """Keep one answer to "How easy was it?"; raises MalformedRating or a text refusal."""
    checked = parse_rating(rating)
    text = clean_comment(comment)
    now = clock.now()
    repository.add_feedback(db, day=baku_date(now), rating=checked, comment=text, at=now)


def leave_feedback(*, database: Database, rating: object, comment: str | None) -> None:
    """A visitor's answer to "How easy was it?", kept in a unit of work of its own."""
    with database.write() as db:
        submit_feedback(db=db, rating=rating, comment=comment)


@dataclass(frozen=True, slots=True)
class Comment:
    at: datetime
    rating: int
    text: str


def feedback_comments(*, database: Database, staff: Citizen, limit: int = 200) -> list[Comment]:
    """The newest comments, for the staff only (never shown publicly); the reading is logged."""
    with database.write() as db:
        comments = [
            Comment(at=row.created_at, rating=row.rating, text=row.comment)
            for row in repository.recent_comments(db, limit=limit)
        ]
        record_citizen_event(
            db,
            tag=EventTag.ADMIN_FEEDBACK_READ,
            viewer=staff,
            channel="web",
            details={"comments": len(comments)},
        )
    return comments
