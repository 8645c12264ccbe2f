"""Filing, following and answering dispute requests: what pages, the API and the CLI call.

Writing functions own their transaction (``database.write()``), so that a request and its photo
are stored together or not at all; reading functions take an open connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from waterbill import clock
from waterbill.audit.events import record_citizen_event as record
from waterbill.audit.events import record_refusal
from waterbill.audit.tags import Channel, EventTag
from waterbill.auth.identity import Citizen
from waterbill.calendar import Window, YearMonth, baku_date, start_of_baku_day
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes import photos, repository
from waterbill.disputes.access import may_dispute
from waterbill.disputes.domain import (
    ANSWER_MAX_LENGTH,
    STATUSES,
    TEXT_MAX_LENGTH,
    Dispute,
    DisputeWithHistory,
    Photo,
    StaffFilter,
    Status,
    check_transition,
    clean_text,
    format_reference,
    parse_period,
    parse_reason,
    parse_service,
)
from waterbill.disputes.errors import (
    DisputeAlreadyOpen,
    DisputeNotFound,
    DisputeRateLimited,
    DisputeStatusConflict,
    MalformedPeriod,
    NotAllowedToDispute,
    UnknownStatus,
)
from waterbill.errors import NotHousehold
from waterbill.identifiers import DEFAULT_CODE_LENGTH, CodeLength, parse_code
from waterbill.notifications import outbox
from waterbill.statement import repository as statement_repository
from waterbill.statement.domain import Subscriber

_AUDIT_TAGS: dict[Status, EventTag] = {
    "under_review": EventTag.DISPUTE_UNDER_REVIEW,
    "answered": EventTag.DISPUTE_ANSWERED,
    "closed": EventTag.DISPUTE_CLOSED,
}

# Logs carry the subscriber code, the reference and pseudonymous ids: never a FIN or free text.
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FilingRules:
    """What the configuration decides about filing."""

    daily_limit: int
    code_length: CodeLength = DEFAULT_CODE_LENGTH

    @classmethod
    def from_settings(cls, settings: Settings) -> FilingRules:
        return cls(
            daily_limit=settings.dispute_daily_limit,
            code_length=settings.code_length_range,
        )


@dataclass(frozen=True, slots=True)
class StatementDisputes:
    """What the statement page shows about disputes: may the viewer file, and what was filed."""

    may_file: bool
    by_month: dict[str, list[Dispute]]


NO_DISPUTES = StatementDisputes(may_file=False, by_month={})


def aware_now(now: datetime | None) -> datetime:
    instant = now or clock.now()
    if instant.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return instant


def household_account(
    db: Connection, *, code: str, code_length: CodeLength
) -> tuple[int, Subscriber]:
    code = parse_code(code, code_length)
    found = statement_repository.find_subscriber(db, code)
    # No such code is refused exactly as a code of someone else (and a code that is not a
    # household's only once the citizen may file on it): a citizen who may not file on a code
    # learns nothing of what it is (issue 22).
    if found is None:
        raise NotAllowedToDispute(reason="dispute", code=code)
    return found


def file_dispute(
    *,
    database: Database,
    citizen: Citizen,
    code: str,
    period: str,
    service: str,
    reason: str,
    text: str | None,
    photo: bytes | None,
    rules: FilingRules,
    channel: Channel = "web",
    now: datetime | None = None,
) -> Dispute:
    """Opens a request on one month and service of an account and returns it, numbered.

    Refusals, in the order a citizen meets them: a malformed code, the right to dispute it (no
    such code is refused the same way; a refusal on a stored code is written to the audit log),
    a code that is not a household's, the daily limit, the month,
    service, reason and text, the photo, and an open request on the same month and service.
    The daily limit is checked early to spare the photo's decoding, and again, exactly, under the
    filing lock.
    """
    filed_at = aware_now(now)
    today = baku_date(filed_at)
    day_starts = start_of_baku_day(today)
    with database.write() as db:
        subscriber_id, subscriber = household_account(db, code=code, code_length=rules.code_length)
        refusal = None
        if not may_dispute(db, citizen=citizen, subscriber=subscriber):
            refusal = NotAllowedToDispute(reason="dispute", code=subscriber.code)
        filed_today = repository.count_filed_since(db, filed_by=citizen.pseudonym, since=day_starts)
        if refusal is not None:
            record_refusal(
                db, refusal, tag=EventTag.DISPUTE_REFUSED, viewer=citizen, channel=channel
            )
    # Raised once the refusal is committed to the log.
    if refusal is not None:
        raise refusal
    if not subscriber.is_household:
        raise NotHousehold(code=subscriber.code)
    if filed_today >= rules.daily_limit:
        raise DisputeRateLimited(reason="dispute_daily", limit=rules.daily_limit)
    month = parse_period(period, window=Window.ending(today))
    chosen_service = parse_service(service, provided=subscriber.services)
    chosen_reason = parse_reason(reason)
    body = clean_text(text, required=chosen_reason == "other", max_length=TEXT_MAX_LENGTH)
    cleaned = photos.clean_photo(photo) if photo else None

    try:
        with database.write() as db:
            # First statement of the transaction: from here on filings are one at a time, which
            # also makes the daily count below exact under concurrent submissions.
            number = repository.next_reference_number(db, year=today.year)
            filed_today = repository.count_filed_since(
                db, filed_by=citizen.pseudonym, since=day_starts
            )
            if filed_today >= rules.daily_limit:
                raise DisputeRateLimited(reason="dispute_daily", limit=rules.daily_limit)
            already = repository.open_reference(
                db, subscriber_id=subscriber_id, period=str(month), service=chosen_service
            )
            if already is not None:
                raise DisputeAlreadyOpen(reference=already)
            reference = format_reference(today.year, number)
            request_id = repository.insert_request(
                db,
                reference=reference,
                subscriber_id=subscriber_id,
                period=str(month),
                service=chosen_service,
                reason=chosen_reason,
                text=body,
                status="received",
                filed_by=citizen.pseudonym,
                filed_at=filed_at,
                updated_at=filed_at,
            )
            repository.insert_event(
                db,
                request_id=request_id,
                from_status=None,
                to_status="received",
                actor_kind="citizen",
                actor=citizen.pseudonym,
                note=None,
                at=filed_at,
            )
            if cleaned is not None:
                repository.insert_photo(db, request_id=request_id, photo=cleaned, at=filed_at)
            found = repository.find(db, reference=reference)
            # Last in the transaction: the audit chain's head stays locked until the commit.
            record(
                db,
                tag=EventTag.DISPUTE_FILED,
                viewer=citizen,
                channel=channel,
                code=subscriber.code,
                details={
                    "reference": reference,
                    "period": str(month),
                    "service": chosen_service,
                    "reason": chosen_reason,
                    "photo": cleaned is not None,
                },
            )
    except IntegrityError:
        # Only the partial unique index can fail here: another filing won the race.
        # On the primary: the winning filing committed a moment ago, a replica may not have it.
        with database.read(primary=True) as db:
            winner = repository.open_reference(
                db, subscriber_id=subscriber_id, period=str(month), service=chosen_service
            )
        raise DisputeAlreadyOpen(reference=winner or "") from None
    assert found is not None
    log.info(
        "dispute filed: %s code %s by citizen %s", reference, subscriber.code, citizen.pseudonym
    )
    return found[1]


def list_my_disputes(*, db: Connection, citizen: Citizen) -> list[Dispute]:
    """The requests this citizen filed, newest first."""
    return repository.filed_by(db, filed_by=citizen.pseudonym)


def get_my_dispute(*, db: Connection, citizen: Citizen, reference: str) -> DisputeWithHistory:
    """One request with its history, for the citizen who filed it or who may dispute the account.

    Anyone else gets "not found", so that reference numbers cannot be probed.
    """
    found = repository.find(db, reference=reference.strip().upper())
    if found is None:
        raise DisputeNotFound()
    request_id, dispute = found
    if dispute.filed_by != citizen.pseudonym:
        account = statement_repository.find_subscriber(db, dispute.code)
        if account is None or not may_dispute(db, citizen=citizen, subscriber=account[1]):
            raise DisputeNotFound()
    return DisputeWithHistory(dispute, repository.history(db, request_id=request_id))


def disputes_on_statement(
    *, db: Connection, subscriber: Subscriber, months: tuple[YearMonth, ...], may_file: bool
) -> StatementDisputes:
    """The newest request per month and service of an account, to show beside the statement.

    Nothing for a viewer who may not dispute the account (``may_file``, decided with the view):
    its requests are not theirs to read.
    """
    if not may_file:
        return NO_DISPUTES
    seen: set[tuple[str, str]] = set()
    by_month: dict[str, list[Dispute]] = {}
    for dispute in repository.latest_per_month(
        db, code=subscriber.code, periods=[str(month) for month in months]
    ):
        key = (str(dispute.period), dispute.service)
        if key not in seen:
            seen.add(key)
            by_month.setdefault(key[0], []).append(dispute)
    for disputes in by_month.values():
        disputes.sort(key=lambda dispute: dispute.service != "water")
    return StatementDisputes(may_file=True, by_month=by_month)


def filing_choices(
    *, database: Database, citizen: Citizen, code: str, code_length: CodeLength, today: date
) -> tuple[Subscriber, Window]:
    """The account and the months a new request may name, once the citizen may file on it."""
    with database.read() as db:
        _, subscriber = household_account(db, code=code, code_length=code_length)
        allowed = may_dispute(db, citizen=citizen, subscriber=subscriber)
    if not allowed:
        raise NotAllowedToDispute(reason="dispute", code=subscriber.code)
    if not subscriber.is_household:
        raise NotHousehold(code=subscriber.code)
    return subscriber, Window.ending(today)


def get_my_photo(*, db: Connection, citizen: Citizen, reference: str) -> Photo:
    """The meter photo of a request, for exactly those who may read the request."""
    detail = get_my_dispute(db=db, citizen=citizen, reference=reference)
    return _photo(db, reference=detail.dispute.reference)


def _photo(db: Connection, *, reference: str) -> Photo:
    found = repository.photo(db, reference=reference)
    if found is None:
        raise DisputeNotFound()
    return found


# Staff. The caller has established the admin role; the functions record who acted.


MAX_OFFSET = 1_000_000


def staff_filter(
    *,
    status: str | None = None,
    code: str | None = None,
    period: str | None = None,
    limit: int = 50,
    offset: int = 0,
    code_length: CodeLength = DEFAULT_CODE_LENGTH,
) -> StaffFilter:
    """The filter of the staff list from what was typed; empty fields filter nothing."""
    chosen_status = None
    if status:
        chosen_status = next((known for known in STATUSES if known == status.strip()), None)
        if chosen_status is None:
            raise UnknownStatus(value=status)
    chosen_code = None
    if code and code.strip():
        chosen_code = parse_code(code, code_length)
    chosen_period = None
    if period and period.strip():
        try:
            chosen_period = YearMonth.parse(period.strip())
        except ValueError:
            raise MalformedPeriod(value=period) from None
    return StaffFilter(
        status=chosen_status,
        code=chosen_code,
        period=chosen_period,
        limit=max(1, min(limit, 200)),
        # Beyond any real queue, and below what a database integer holds (a 500 otherwise).
        offset=max(0, min(offset, MAX_OFFSET)),
    )


def list_for_staff(*, db: Connection, where: StaffFilter) -> tuple[list[Dispute], int]:
    """A page of requests matching the filter, oldest first, and the number matching in all."""
    return repository.for_staff(db, where=where)


def get_for_staff(*, database: Database, reference: str) -> DisputeWithHistory:
    with database.read() as db:
        found = repository.find(db, reference=reference.strip().upper())
        if found is None:
            raise DisputeNotFound()
        request_id, dispute = found
        return DisputeWithHistory(dispute, repository.history(db, request_id=request_id))


def get_staff_photo(*, db: Connection, reference: str) -> Photo:
    return _photo(db, reference=reference.strip().upper())


def _move(
    *,
    database: Database,
    staff: Citizen,
    reference: str,
    wanted: Status,
    note: str | None,
    now: datetime | None,
    extra: dict[str, object],
    channel: Channel,
) -> Dispute:
    at = aware_now(now)
    with database.write() as db:
        found = repository.find(db, reference=reference.strip().upper())
        if found is None:
            raise DisputeNotFound()
        request_id, dispute = found
        check_transition(dispute.status, wanted)
        values: dict[str, object] = {"status": wanted, "updated_at": at, **extra}
        if wanted == "answered":
            values |= {"answered_at": at, "answered_by": staff.pseudonym}
        if wanted == "closed":
            values["closed_at"] = at
        if not repository.change_status(
            db, request_id=request_id, expected=dispute.status, values=values
        ):
            raise DisputeStatusConflict(current=dispute.status, wanted=wanted)
        repository.insert_event(
            db,
            request_id=request_id,
            from_status=dispute.status,
            to_status=wanted,
            actor_kind="staff",
            actor=staff.pseudonym,
            note=note,
            at=at,
        )
        moved = repository.find(db, reference=dispute.reference)
        if wanted == "answered":
            outbox.dispute_answered(db, code=dispute.code, reference=dispute.reference, now=at)
        record(
            db,
            tag=_AUDIT_TAGS[wanted],
            viewer=staff,
            channel=channel,
            code=dispute.code,
            details={"reference": dispute.reference, "from": dispute.status},
        )
    assert moved is not None
    log.info("dispute %s: %s by staff %s", dispute.reference, wanted, staff.pseudonym)
    return moved[1]


def start_review(
    *,
    database: Database,
    staff: Citizen,
    reference: str,
    channel: Channel = "web",
    now: datetime | None = None,
) -> Dispute:
    """Marks a received request as under review, so the citizen sees somebody took it."""
    return _move(
        database=database,
        staff=staff,
        reference=reference,
        wanted="under_review",
        note=None,
        now=now,
        extra={},
        channel=channel,
    )


def answer_dispute(
    *,
    database: Database,
    staff: Citizen,
    reference: str,
    answer: str,
    channel: Channel = "web",
    now: datetime | None = None,
) -> Dispute:
    """Gives the answer the citizen will read beside the disputed month."""
    text = clean_text(answer, required=True, max_length=ANSWER_MAX_LENGTH, what="answer")
    return _move(
        database=database,
        staff=staff,
        reference=reference,
        wanted="answered",
        note=text,
        now=now,
        extra={"answer": text},
        channel=channel,
    )


def close_dispute(
    *,
    database: Database,
    staff: Citizen,
    reference: str,
    note: str | None = None,
    channel: Channel = "web",
    now: datetime | None = None,
) -> Dispute:
    """Closes a request; a month and service can be disputed again only after this."""
    text = clean_text(note, required=False, max_length=ANSWER_MAX_LENGTH) or None
    return _move(
        database=database,
        staff=staff,
        reference=reference,
        wanted="closed",
        note=text,
        now=now,
        extra={},
        channel=channel,
    )
