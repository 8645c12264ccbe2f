"""Submitting, following and collecting meter readings: what pages, the API and the CLI call.

Writing functions own their transaction (``database.write()``), so that a reading, its photo and
its access-log row are stored together or not at all; reading functions take an open connection.
Every submission and every refusal of a signed-in citizen goes to the access log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from waterbill.audit.events import record_citizen_event as record
from waterbill.audit.events import record_refusal
from waterbill.audit.tags import Channel, EventTag
from waterbill.auth.identity import Citizen
from waterbill.calendar import YearMonth, baku_date, start_of_baku_day
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes import photos
from waterbill.disputes.access import may_dispute as may_submit
from waterbill.disputes.domain import Photo
from waterbill.disputes.service import aware_now, household_account
from waterbill.errors import (
    AuditUnavailable,
    ServiceError,
)
from waterbill.identifiers import DEFAULT_CODE_LENGTH, CodeLength, well_formed_code
from waterbill.ingest.intake import channel_of
from waterbill.readings import repository
from waterbill.readings.domain import (
    FollowedReading,
    LastBilled,
    Reading,
    ReadingRules,
    check_not_decreased,
    check_plausible,
    format_reference,
    parse_read_on,
    parse_reading,
    target_of,
    usual_daily_use,
)
from waterbill.readings.errors import (
    MalformedCursor,
    MalformedReadOn,
    NoMeter,
    NotAllowedToSubmit,
    ReadingImplausible,
    ReadingNotFound,
    ReadingRateLimited,
)
from waterbill.statement import repository as statement_repository
from waterbill.statement.domain import Subscriber

# Logs carry the subscriber code, the reference and pseudonymous ids: never a FIN.
log = logging.getLogger(__name__)

EXPORT_PAGE_MAX = 1000


def rules_from(settings: Settings) -> ReadingRules:
    return ReadingRules(
        window_start_day=settings.reading_window_start_day,
        window_end_day=settings.reading_window_end_day,
        implausible_factor=settings.reading_implausible_factor,
        daily_limit=settings.reading_daily_limit,
        max_age_days=settings.reading_max_age_days,
    )


@dataclass(frozen=True, slots=True)
class Submission:
    """What a citizen sends: the raw fields, checked by ``submit_reading``."""

    code: str
    reading: str
    read_on: str
    photo: bytes | None = None
    # The citizen confirmed a reading refused as implausible (a leak shows as one, too).
    confirm_implausible: bool = False


@dataclass(frozen=True, slots=True)
class StatementReadings:
    """What the statement page shows about readings: may the viewer submit, why not, and what."""

    may_submit: bool
    no_meter_reason: str | None
    readings: list[FollowedReading]

    def for_month(self, period: str) -> FollowedReading | None:
        """The reading that counts for a month's bill: the newest submitted for it."""
        return next(
            (
                followed
                for followed in self.readings
                if str(followed.reading.for_period) == period and followed.status != "superseded"
            ),
            None,
        )


NO_READINGS = StatementReadings(may_submit=False, no_meter_reason=None, readings=[])


def _check_meter(subscriber: Subscriber) -> None:
    if subscriber.meter_type != "mechanical":
        raise NoMeter(reason=subscriber.meter_type)


def _last_billed(db: Connection, *, subscriber_id: int) -> LastBilled | None:
    billed = repository.last_billed_reading(db, subscriber_id=subscriber_id)
    replaced = repository.latest_replacement(db, subscriber_id=subscriber_id)
    last = None
    if billed is not None:
        reading, period = billed
        last = LastBilled(reading=reading, period=period, since=period.shift(1).first_day)
    if replaced is not None and (last is None or replaced[0] >= last.since):
        # A new meter counts from its own first figure, whatever the old one showed.
        return LastBilled(reading=replaced[1], period=None, since=replaced[0], replaced=True)
    return last


def submit_reading(
    *,
    database: Database,
    citizen: Citizen,
    submission: Submission,
    rules: ReadingRules,
    code_length: CodeLength = DEFAULT_CODE_LENGTH,
    channel: Channel = "web",
    now: datetime | None = None,
) -> Reading:
    """Checks and stores a citizen's meter reading and returns it, with its reference.

    Refusals, in the order a citizen meets them: the code (malformed, unknown, not a household),
    the right to submit (holder or authorised), the meter (mechanical only), the daily limit, the
    figure and the date (``outside_window`` for a date in the future or too old), the last billed
    reading (``reading_decreased``), the usual use (``reading_implausible`` unless confirmed) and
    the photo. Each refusal is written to the access log before it is raised.
    """
    submitted_at = aware_now(now)
    code = submission.code
    try:
        return _submit(
            database=database,
            citizen=citizen,
            submission=submission,
            rules=rules,
            code_length=code_length,
            channel=channel,
            submitted_at=submitted_at,
        )
    except AuditUnavailable:
        raise
    except ServiceError as refusal:
        with database.write() as db:
            record_refusal(
                db,
                refusal,
                tag=EventTag.READING_REFUSED,
                viewer=citizen,
                channel=channel,
                code=well_formed_code(code, code_length),
            )
        log.info("reading refused: %s by citizen %s", refusal.code, citizen.pseudonym)
        raise


def _submit(
    *,
    database: Database,
    citizen: Citizen,
    submission: Submission,
    rules: ReadingRules,
    code_length: CodeLength,
    channel: Channel,
    submitted_at: datetime,
) -> Reading:
    today = baku_date(submitted_at)
    day_starts = start_of_baku_day(today)
    with database.read(primary=True) as db:
        subscriber_id, subscriber = household_account(
            db, code=submission.code, code_length=code_length
        )
        if not may_submit(db, citizen=citizen, subscriber=subscriber):
            raise NotAllowedToSubmit(reason="reading", code=subscriber.code)
        _check_meter(subscriber)
        # Checked early to spare the photo's decoding, and again, exactly, under the lock.
        if (
            repository.count_submitted_since(db, subscriber_id=subscriber_id, since=day_starts)
            >= rules.daily_limit
        ):
            raise ReadingRateLimited(reason="readings_daily", limit=rules.daily_limit)
        reading = parse_reading(submission.reading)
        read_on = parse_read_on(submission.read_on, today=today, rules=rules)
        last = _last_billed(db, subscriber_id=subscriber_id)
        serial = repository.meter_serial(db, subscriber_id=subscriber_id)
        this_month = YearMonth.of(today)
        usual = usual_daily_use(
            repository.water_use(
                db,
                subscriber_id=subscriber_id,
                first=this_month.shift(-12),
                last=this_month.shift(-1),
            )
        )
    check_not_decreased(reading, last)
    implausible = False
    try:
        check_plausible(reading=reading, read_on=read_on, last=last, usual_daily=usual, rules=rules)
    except ReadingImplausible:
        if not submission.confirm_implausible:
            raise
        implausible = True
    cleaned = photos.clean_photo(submission.photo) if submission.photo else None
    target = target_of(today, rules)

    with database.write() as db:
        # First statement of the transaction: from here on submissions are one at a time, in
        # cursor order (see repository.next_seq), which also makes the daily count exact.
        seq = repository.next_seq(db)
        if (
            repository.count_submitted_since(db, subscriber_id=subscriber_id, since=day_starts)
            >= rules.daily_limit
        ):
            raise ReadingRateLimited(reason="readings_daily", limit=rules.daily_limit)
        reference = format_reference(today.year, seq)
        reading_id = repository.insert_reading(
            db,
            seq=seq,
            reference=reference,
            subscriber_id=subscriber_id,
            reading=reading,
            read_on=read_on,
            for_period=str(target.period),
            in_window=target.in_window,
            implausible=implausible,
            meter_serial=serial,
            last_billed=last.reading if last is not None else None,
            submitted_by=citizen.pseudonym,
            submitted_at=submitted_at,
        )
        if cleaned is not None:
            repository.insert_photo(db, reading_id=reading_id, photo=cleaned, at=submitted_at)
        found = repository.find(db, reference=reference)
        # Last in the transaction: the audit chain's head stays locked until the commit.
        record(
            db,
            tag=EventTag.READING_SUBMITTED,
            viewer=citizen,
            channel=channel,
            code=subscriber.code,
            details={
                "reference": reference,
                "for_period": str(target.period),
                "in_window": target.in_window,
                "implausible": implausible,
                "photo": cleaned is not None,
            },
        )
    assert found is not None
    log.info("reading %s code %s by citizen %s", reference, subscriber.code, citizen.pseudonym)
    return found.reading


def readings_on_statement(
    *, db: Connection, subscriber: Subscriber, since: YearMonth, submitter: bool
) -> StatementReadings:
    """The account's readings for the months shown, for a viewer who may submit them
    (``submitter``, decided with the view).

    Nothing for anyone else: the readings are the household's, like its requests.
    """
    if not submitter:
        return NO_READINGS
    reason = None if subscriber.meter_type == "mechanical" else subscriber.meter_type
    found = repository.of_account(db, code=subscriber.code, since=since.starts_at())
    return StatementReadings(may_submit=True, no_meter_reason=reason, readings=found)


def submission_account(
    *, database: Database, citizen: Citizen, code: str, code_length: CodeLength
) -> Subscriber:
    """The account a reading form is for, once the citizen may submit on it (any meter type:
    the form page says why a smart-card meter or no meter has nothing to submit)."""
    with database.read() as db:
        _, subscriber = household_account(db, code=code, code_length=code_length)
        allowed = may_submit(db, citizen=citizen, subscriber=subscriber)
    if not allowed:
        raise NotAllowedToSubmit(reason="reading", code=subscriber.code)
    return subscriber


def get_my_reading(*, db: Connection, citizen: Citizen, reference: str) -> FollowedReading:
    """One reading, for whoever may submit on its account; anyone else gets "not found"."""
    found = repository.find(db, reference=reference.strip().upper())
    if found is None:
        raise ReadingNotFound()
    account = statement_repository.find_subscriber(db, found.reading.code)
    if account is None or not may_submit(db, citizen=citizen, subscriber=account[1]):
        raise ReadingNotFound()
    return found


def submitted_reading(*, database: Database, citizen: Citizen, reference: str) -> FollowedReading:
    """A reading just submitted, as its submitter follows it: from the primary, which has it."""
    with database.read(primary=True) as db:
        return get_my_reading(db=db, citizen=citizen, reference=reference)


# The billing system and staff.


def parse_cursor(raw: str | int | None) -> int:
    """The cursor an export resumes after: a whole number, 0 (or nothing) for the beginning."""
    text = str(raw if raw is not None else "").strip() or "0"
    if not text.isdigit() or len(text) > 18:
        raise MalformedCursor(value=str(raw))
    return int(text)


@dataclass(frozen=True, slots=True)
class ExportPage:
    readings: list[Reading]
    # What to pass as ``since`` next time: the last reading's cursor, or the one given.
    next_cursor: int
    more: bool


def export_readings(
    *,
    database: Database,
    since: str | int | None,
    limit: int = EXPORT_PAGE_MAX,
    channel: Channel,
    channel_name: str,
) -> ExportPage:
    """Readings after the cursor ``since``, in cursor order: each exactly once per cursor.

    Read on the primary: a replica behind it would answer a shorter list, harmless, but the
    access-log row for the handover is written there anyway. One read and one audit row, as a
    statement view: on SQLite the read takes no write lock, so exports polling in a loop do not
    starve the citizens submitting readings.
    """
    cursor = parse_cursor(since)
    limit = max(1, min(limit, EXPORT_PAGE_MAX))
    with database.write_each() as db:
        found = repository.after_cursor(db, cursor=cursor, limit=limit + 1)
        page = found[:limit]
        next_cursor = page[-1].cursor if page else cursor
        record(
            db,
            tag=EventTag.READINGS_EXPORTED,
            viewer=None,
            channel=channel,
            details={
                "channel": channel_name,
                "since": cursor,
                "next_cursor": next_cursor,
                "count": len(page),
            },
        )
    return ExportPage(readings=page, next_cursor=next_cursor, more=len(found) > limit)


def export_to_channel(
    *, database: Database, key: str | None, since: str | int | None, limit: int = EXPORT_PAGE_MAX
) -> ExportPage:
    """``export_readings`` for the billing system's API, once its channel key is checked (on the
    primary: a revoked key must stop working at once). Raises InvalidApiKey."""
    name = channel_of(database=database, key=key)
    return export_readings(
        database=database, since=since, limit=limit, channel="api", channel_name=name
    )


def parse_day(raw: str | None, *, today: date) -> date:
    text = (raw or "").strip()
    if not text:
        return today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MalformedReadOn(value=text) from None


def readings_of_day(
    *, database: Database, staff: Citizen, day: date, channel: Channel = "web"
) -> list[FollowedReading]:
    """The readings submitted on a Baku day, the implausible first: the ICT staff's list."""
    start = start_of_baku_day(day)
    with database.write() as db:
        found = repository.submitted_between(db, start=start, end=start + timedelta(days=1))
        record(
            db,
            tag=EventTag.ADMIN_READINGS_VIEW,
            viewer=staff,
            channel=channel,
            details={"day": day.isoformat(), "count": len(found)},
        )
    return found


def get_staff_photo(*, db: Connection, reference: str) -> Photo:
    found = repository.photo(db, reference=reference.strip().upper())
    if found is None:
        raise ReadingNotFound()
    return found


def record_meter_replacement(
    *,
    database: Database,
    code: str,
    replaced_on: date,
    initial_reading: str | Decimal,
    code_length: CodeLength = DEFAULT_CODE_LENGTH,
    now: datetime | None = None,
) -> None:
    """Records that the account's meter was replaced: readings from then on start afresh."""
    at = aware_now(now)
    figure = parse_reading(initial_reading)
    with database.write() as db:
        subscriber_id, subscriber = household_account(db, code=code, code_length=code_length)
        _check_meter(subscriber)
        repository.insert_replacement(
            db,
            subscriber_id=subscriber_id,
            replaced_on=replaced_on,
            initial_reading=figure,
            meter_serial=repository.meter_serial(db, subscriber_id=subscriber_id),
            recorded_at=at,
        )
        record(
            db,
            tag=EventTag.METER_REPLACED,
            viewer=None,
            channel="cli",
            code=subscriber.code,
            details={"replaced_on": replaced_on.isoformat()},
        )
