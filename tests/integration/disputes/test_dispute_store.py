"""Filing, following and answering requests on the real store, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from tests.support.audit import make_every_append_collide
from tests.support.factories.billing import add_subscriber
from tests.support.factories.citizens import HOLDER, STAFF, STRANGER
from tests.support.factories.photos import gif, jpeg_with_exif, png_with_text
from waterbill.access.repository import add_grant, revoke_grants
from waterbill.audit.service import verify_chain
from waterbill.audit.tables import audit_events
from waterbill.calendar import YearMonth
from waterbill.db.database import Database
from waterbill.disputes.domain import StaffFilter
from waterbill.disputes.errors import (
    DisputeAlreadyOpen,
    DisputeNotFound,
    DisputeRateLimited,
    DisputeStatusConflict,
    NotAllowedToDispute,
    PeriodOutsideStatement,
    PhotoWrongType,
    ServiceNotProvided,
    TextRequired,
)
from waterbill.disputes.photos import clean_photo
from waterbill.disputes.service import (
    FilingRules,
    answer_dispute,
    close_dispute,
    disputes_on_statement,
    file_dispute,
    get_for_staff,
    get_my_dispute,
    get_my_photo,
    get_staff_photo,
    list_for_staff,
    list_my_disputes,
    start_review,
)
from waterbill.disputes.tables import dispute_photos, dispute_requests
from waterbill.errors import AuditUnavailable, NotHousehold
from waterbill.statement.repository import find_subscriber

CODE = "0104410203"
# 14:00 in Baku on 26 November 2026.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _file(database: Database, rules: FilingRules, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "citizen": HOLDER,
        "code": CODE,
        "period": "2026-09",
        "service": "water",
        "reason": "meter_reading_wrong",
        "text": "Sayğacda 1234 m³ göstərilir, hesabda 1290 m³ yazılıb.",
        "photo": None,
        "now": NOW,
    }
    values.update(overrides)
    return file_dispute(database=database, rules=rules, **values)


def _stored_photos(engine: Engine) -> list[Any]:
    with engine.connect() as db:
        return list(db.execute(select(dispute_photos)).all())


@pytest.fixture
def account(engine: Engine) -> int:
    with engine.begin() as db:
        return add_subscriber(db, code=CODE, holder_fin=HOLDER.fin)


def test_the_holder_files_a_request_and_gets_a_reference_number(
    database: Database, rules: FilingRules, account: int
) -> None:
    dispute = _file(database, rules)

    assert dispute.reference == "AZS-2026-000001"
    assert dispute.code == CODE
    assert dispute.period == YearMonth(2026, 9)
    assert dispute.status == "received"
    assert dispute.filed_by == HOLDER.pseudonym
    assert dispute.filed_at == NOW
    assert not dispute.has_photo
    with database.read() as db:
        assert list_my_disputes(db=db, citizen=HOLDER) == [dispute]
        shown = get_my_dispute(db=db, citizen=HOLDER, reference="azs-2026-000001 ")
    assert shown.dispute == dispute
    assert [(event.from_status, event.to_status, event.actor_kind) for event in shown.history] == [
        (None, "received", "citizen")
    ]


def test_the_fin_is_never_stored_only_the_pseudonymous_id(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    _file(database, rules)
    with engine.connect() as db:
        row = db.execute(select(dispute_requests)).one()
    assert HOLDER.fin not in repr(tuple(row))
    assert row.filed_by == HOLDER.pseudonym


def test_a_citizen_who_is_not_the_holder_is_refused_and_nothing_is_stored(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with pytest.raises(NotAllowedToDispute) as refused:
        _file(database, rules, citizen=STRANGER, photo=jpeg_with_exif())
    assert refused.value.code == "forbidden"
    with engine.connect() as db:
        assert db.execute(select(dispute_requests)).all() == []
    assert _stored_photos(engine) == []


def test_another_citizen_can_neither_read_a_request_nor_see_it_on_the_statement(
    database: Database, rules: FilingRules, account: int
) -> None:
    dispute = _file(database, rules)
    with database.read() as db:
        with pytest.raises(DisputeNotFound):
            get_my_dispute(db=db, citizen=STRANGER, reference=dispute.reference)
        assert list_my_disputes(db=db, citizen=STRANGER) == []
        months = (YearMonth(2026, 9),)
        subscriber = find_subscriber(db, CODE)[1]  # type: ignore[index]
        theirs = disputes_on_statement(db=db, subscriber=subscriber, months=months, may_file=False)
        mine = disputes_on_statement(db=db, subscriber=subscriber, months=months, may_file=True)
    assert not theirs.may_file
    assert theirs.by_month == {}
    assert mine.may_file
    assert mine.by_month == {"2026-09": [dispute]}


def test_an_unknown_code_is_refused_as_someone_elses_and_a_non_household_one_to_its_holder(
    database: Database, rules: FilingRules, engine: Engine
) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="5550001111", category="non_population", holder_fin=HOLDER.fin)
        add_subscriber(db, code="5550002222", category="non_population", holder_fin="9KLM5NP")
    with pytest.raises(NotAllowedToDispute):
        _file(database, rules, code="9999999999")
    with pytest.raises(NotAllowedToDispute):
        _file(database, rules, code="5550002222")
    with pytest.raises(NotHousehold):
        _file(database, rules, code="5550001111")


def test_inputs_are_checked_against_the_account_and_the_statement(
    database: Database, rules: FilingRules, engine: Engine
) -> None:
    with engine.begin() as db:
        add_subscriber(db, code=CODE, holder_fin=HOLDER.fin, wastewater_service=False)
    with pytest.raises(ServiceNotProvided):
        _file(database, rules, service="wastewater")
    with pytest.raises(PeriodOutsideStatement):
        _file(database, rules, period="2025-11")
    with pytest.raises(TextRequired):
        _file(database, rules, reason="other", text="  ")
    with pytest.raises(PhotoWrongType):
        _file(database, rules, photo=gif())


def test_a_photo_is_stored_clean_in_the_database_with_the_request(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    dispute = _file(database, rules, photo=jpeg_with_exif())
    assert dispute.has_photo
    [stored] = _stored_photos(engine)
    with engine.connect() as db:
        request_id = db.execute(select(dispute_requests.c.id)).scalar_one()
    assert stored.request_id == request_id
    assert stored.media_type == "image/jpeg"
    assert stored.byte_size == len(stored.content)
    assert stored.sha256 == hashlib.sha256(stored.content).hexdigest()
    assert stored.created_at == NOW
    assert b"Phone X Pro" not in stored.content
    with database.read() as db:
        served = get_my_photo(db=db, citizen=HOLDER, reference=dispute.reference)
        assert get_staff_photo(db=db, reference=dispute.reference) == served
    assert served.data == stored.content
    assert served.media_type == "image/jpeg"


def test_the_photo_bytes_come_back_exactly_as_cleaned_on_both_engines(
    database: Database, rules: FilingRules, account: int
) -> None:
    sent = png_with_text()
    dispute = _file(database, rules, photo=sent)
    with database.read() as db:
        served = get_my_photo(db=db, citizen=HOLDER, reference=dispute.reference)
    assert served == clean_photo(sent)  # the cleaning is deterministic: same pixels, same bytes
    assert served.media_type == "image/png"


def test_whoever_may_not_read_the_request_gets_no_photo(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with_photo = _file(database, rules, photo=jpeg_with_exif())
    without = _file(database, rules, period="2026-10")
    with database.read() as db:
        with pytest.raises(DisputeNotFound):
            get_my_photo(db=db, citizen=STRANGER, reference=with_photo.reference)
        with pytest.raises(DisputeNotFound):
            get_my_photo(db=db, citizen=HOLDER, reference=without.reference)
        with pytest.raises(DisputeNotFound):
            get_staff_photo(db=db, reference="AZS-2026-000404")
    with engine.begin() as db:
        add_grant(db, code=CODE, holder_fin=HOLDER.fin, grantee_fin=STRANGER.fin, now=NOW)
    with database.read() as db:
        authorised = get_my_photo(db=db, citizen=STRANGER, reference=with_photo.reference)
    assert authorised.media_type == "image/jpeg"


def test_only_one_open_request_per_month_and_service_and_its_photo_is_not_kept(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    first = _file(database, rules)
    with pytest.raises(DisputeAlreadyOpen) as refused:
        _file(database, rules, photo=jpeg_with_exif())
    assert refused.value.params == {"reference": first.reference}
    assert _stored_photos(engine) == []
    # Another service or another month of the same account is a separate matter.
    _file(database, rules, service="wastewater")
    _file(database, rules, period="2026-10")


def test_once_closed_the_same_month_can_be_disputed_again(
    database: Database, rules: FilingRules, account: int
) -> None:
    first = _file(database, rules)
    answer_dispute(database=database, staff=STAFF, reference=first.reference, answer="Düzdür.")
    with pytest.raises(DisputeAlreadyOpen):
        _file(database, rules)
    close_dispute(database=database, staff=STAFF, reference=first.reference)
    again = _file(database, rules)
    assert again.reference == "AZS-2026-000002"


def test_the_database_itself_refuses_a_second_open_request_on_the_same_month(
    engine: Engine, database: Database, rules: FilingRules, account: int
) -> None:
    first = _file(database, rules)
    duplicate = {
        "reference": "AZS-2026-999999",
        "subscriber_id": account,
        "period": "2026-09",
        "service": "water",
        "reason": "other",
        "text": "bypassing the service",
        "status": "under_review",
        "filed_by": STRANGER.pseudonym,
        "filed_at": NOW,
        "updated_at": NOW,
    }
    with pytest.raises(IntegrityError), engine.begin() as db:
        db.execute(insert(dispute_requests).values(**duplicate))
    # A closed request does not count as open.
    with engine.begin() as db:
        db.execute(insert(dispute_requests).values(**duplicate | {"status": "closed"}))
        db.execute(
            update(dispute_requests)
            .where(dispute_requests.c.reference == first.reference)
            .values(status="closed")
        )
        db.execute(
            insert(dispute_requests).values(
                **duplicate | {"reference": "AZS-2026-999998", "status": "received"}
            )
        )


def test_filing_is_limited_per_citizen_per_baku_day(database: Database, engine: Engine) -> None:
    rules = FilingRules(daily_limit=2)
    with engine.begin() as db:
        add_subscriber(db, code=CODE, holder_fin=HOLDER.fin)
    _file(database, rules, period="2026-01")
    _file(database, rules, period="2026-02")
    with pytest.raises(DisputeRateLimited) as refused:
        _file(database, rules, period="2026-03")
    assert refused.value.params == {"reason": "dispute_daily", "limit": 2}
    with pytest.raises(DisputeRateLimited):  # before any photo is decoded
        _file(database, rules, period="2026-03", photo=gif())
    # Midnight in Baku is 20:00 UTC: a new day, a new allowance.
    tomorrow = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
    with pytest.raises(DisputeRateLimited):
        _file(database, rules, period="2026-03", now=tomorrow - timedelta(seconds=1))
    assert _file(database, rules, period="2026-03", now=tomorrow).status == "received"


def test_reference_numbers_start_again_at_one_each_year(
    database: Database, rules: FilingRules, account: int
) -> None:
    last_of_2026 = datetime(2026, 12, 31, 19, 59, tzinfo=UTC)  # 23:59 in Baku
    first_of_2027 = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # 00:00 in Baku
    assert _file(database, rules, now=NOW).reference == "AZS-2026-000001"
    assert _file(database, rules, period="2026-12", now=last_of_2026).reference == (
        "AZS-2026-000002"
    )
    assert _file(database, rules, period="2027-01", now=first_of_2027).reference == (
        "AZS-2027-000001"
    )


def test_staff_review_answer_and_close_and_every_step_is_in_the_history(
    database: Database, rules: FilingRules, account: int
) -> None:
    dispute = _file(database, rules)
    later = NOW + timedelta(hours=3)

    start_review(database=database, staff=STAFF, reference=dispute.reference, now=later)
    answered = answer_dispute(
        database=database,
        staff=STAFF,
        reference=dispute.reference,
        answer="  Sayğac yoxlanıldı, göstərici düzəldildi; fərq növbəti hesaba daxil ediləcək. ",
        now=later + timedelta(hours=1),
    )
    closed = close_dispute(
        database=database, staff=STAFF, reference=dispute.reference, now=later + timedelta(days=1)
    )

    assert answered.status == "answered"
    assert answered.answer is not None
    assert answered.answer.startswith("Sayğac yoxlanıldı")
    assert answered.answered_by == STAFF.pseudonym
    assert answered.answered_at == later + timedelta(hours=1)
    assert closed.status == "closed"
    assert closed.closed_at == later + timedelta(days=1)
    with database.read() as db:
        seen = get_my_dispute(db=db, citizen=HOLDER, reference=dispute.reference)
    assert seen.dispute.answer == answered.answer
    assert [(e.from_status, e.to_status, e.actor_kind, e.actor) for e in seen.history] == [
        (None, "received", "citizen", HOLDER.pseudonym),
        ("received", "under_review", "staff", STAFF.pseudonym),
        ("under_review", "answered", "staff", STAFF.pseudonym),
        ("answered", "closed", "staff", STAFF.pseudonym),
    ]
    assert seen.history[2].note == answered.answer


def test_a_closed_request_cannot_be_answered_and_an_empty_answer_is_refused(
    database: Database, rules: FilingRules, account: int
) -> None:
    dispute = _file(database, rules)
    with pytest.raises(TextRequired):
        answer_dispute(database=database, staff=STAFF, reference=dispute.reference, answer=" ")
    close_dispute(database=database, staff=STAFF, reference=dispute.reference, note="Təkrar.")
    with pytest.raises(DisputeStatusConflict):
        answer_dispute(database=database, staff=STAFF, reference=dispute.reference, answer="x")
    with pytest.raises(DisputeNotFound):
        close_dispute(database=database, staff=STAFF, reference="AZS-2026-000404")


def test_staff_filter_by_status_code_and_month_oldest_first(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="0200000001", holder_fin=STRANGER.fin)
    a = _file(database, rules, period="2026-08", now=NOW)
    b = _file(database, rules, period="2026-09", now=NOW + timedelta(minutes=1))
    c = _file(
        database,
        rules,
        citizen=STRANGER,
        code="0200000001",
        period="2026-09",
        now=NOW + timedelta(minutes=2),
    )
    answer_dispute(database=database, staff=STAFF, reference=b.reference, answer="Cavab.")

    def references(**where: Any) -> tuple[list[str], int]:
        with database.read() as db:
            found, total = list_for_staff(db=db, where=StaffFilter(**where))
        return [dispute.reference for dispute in found], total

    assert references() == ([a.reference, b.reference, c.reference], 3)
    assert references(status="received") == ([a.reference, c.reference], 2)
    assert references(code=CODE) == ([a.reference, b.reference], 2)
    assert references(period=YearMonth(2026, 9)) == ([b.reference, c.reference], 2)
    assert references(limit=1, offset=1) == ([b.reference], 3)
    assert get_for_staff(database=database, reference=c.reference).dispute.code == "0200000001"


def test_concurrent_filings_get_distinct_gap_free_numbers_and_one_wins_each_month(
    database: Database, engine: Engine, account: int
) -> None:
    rules = FilingRules(daily_limit=100)
    months = [str(YearMonth(2026, 11).shift(-offset)) for offset in range(6)]
    # Two citizens' worth of attempts per month and service: half of them must lose the race.
    attempts = [(month, service) for month in months for service in ("water", "wastewater")] * 2
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    photo = jpeg_with_exif()

    def attempt(month: str, service: str) -> None:
        barrier.wait()
        try:
            dispute = _file(database, rules, period=month, service=service, photo=photo)
            outcomes.append(dispute.reference)
        except DisputeAlreadyOpen:
            outcomes.append("already_open")

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    references = sorted(outcome for outcome in outcomes if outcome != "already_open")
    assert len(outcomes) == len(attempts)
    assert outcomes.count("already_open") == len(attempts) // 2
    assert references == [f"AZS-2026-{number:06d}" for number in range(1, len(attempts) // 2 + 1)]
    # The losers' photos went with their rolled-back filings: one photo per winning request.
    with engine.connect() as db:
        owners = db.execute(
            select(dispute_requests.c.reference).join(
                dispute_photos, dispute_photos.c.request_id == dispute_requests.c.id
            )
        ).scalars()
        assert sorted(owners) == references


def test_the_daily_limit_holds_when_one_citizen_submits_many_requests_at_once(
    database: Database, account: int
) -> None:
    rules = FilingRules(daily_limit=3)
    months = [str(YearMonth(2026, 11).shift(-offset)) for offset in range(8)]
    barrier = threading.Barrier(len(months))
    outcomes: list[str] = []

    def attempt(month: str) -> None:
        barrier.wait()
        try:
            outcomes.append(_file(database, rules, period=month).reference)
        except DisputeRateLimited:
            outcomes.append("rate_limited")

    threads = [threading.Thread(target=attempt, args=(month,)) for month in months]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [
        "AZS-2026-000001",
        "AZS-2026-000002",
        "AZS-2026-000003",
        *["rate_limited"] * 5,
    ]


def test_a_citizen_the_holder_authorised_may_file_until_the_grant_is_revoked(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with engine.begin() as db:
        add_grant(db, code=CODE, holder_fin=HOLDER.fin, grantee_fin=STRANGER.fin, now=NOW)
    filed = _file(database, rules, citizen=STRANGER)
    assert filed.filed_by == STRANGER.pseudonym
    with database.read() as db:
        # The holder follows what was filed on the account, too.
        assert get_my_dispute(db=db, citizen=HOLDER, reference=filed.reference).dispute == filed
    with engine.begin() as db:
        revoke_grants(db, code=CODE, holder_fin=HOLDER.fin, grantee_fin=STRANGER.fin, now=NOW)
    with pytest.raises(NotAllowedToDispute):
        _file(database, rules, citizen=STRANGER, period="2026-10")


def test_a_grant_from_a_former_holder_does_not_let_anyone_file(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with engine.begin() as db:
        add_grant(db, code=CODE, holder_fin="9ZZ9ZZZ", grantee_fin=STRANGER.fin, now=NOW)
    with pytest.raises(NotAllowedToDispute):
        _file(database, rules, citizen=STRANGER)


def test_every_change_and_every_refused_filing_is_in_the_audit_log_without_a_fin(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with pytest.raises(NotAllowedToDispute):
        _file(database, rules, citizen=STRANGER)
    dispute = _file(database, rules, channel="api")
    start_review(database=database, staff=STAFF, reference=dispute.reference)
    answer_dispute(database=database, staff=STAFF, reference=dispute.reference, answer="Cavab.")
    close_dispute(database=database, staff=STAFF, reference=dispute.reference)

    with engine.connect() as db:
        events = db.execute(select(audit_events).order_by(audit_events.c.id)).all()
        assert verify_chain(db=db).intact
    assert [(e.tag, e.actor, e.subscriber_code, e.channel) for e in events] == [
        ("dispute:refused", STRANGER.pseudonym, CODE, "web"),
        ("dispute:filed", HOLDER.pseudonym, CODE, "api"),
        ("dispute:under_review", STAFF.pseudonym, CODE, "web"),
        ("dispute:answered", STAFF.pseudonym, CODE, "web"),
        ("dispute:closed", STAFF.pseudonym, CODE, "web"),
    ]
    assert events[0].result == "refused"
    assert json.loads(events[1].details) == {
        "reference": dispute.reference,
        "period": "2026-09",
        "service": "water",
        "reason": "meter_reading_wrong",
        "photo": False,
    }
    everything = repr([tuple(event) for event in events])
    assert all(fin not in everything for fin in (HOLDER.fin, STRANGER.fin, STAFF.fin))
    assert "Sayğacda" not in everything  # the citizen's free text stays out of the log


def test_a_filing_is_not_kept_when_the_audit_log_cannot_be_written(
    database: Database, rules: FilingRules, engine: Engine, account: int
) -> None:
    with pytest.raises(NotAllowedToDispute):
        _file(database, rules, citizen=STRANGER)  # one event in the log
    with engine.begin() as db:
        make_every_append_collide(db)
    with pytest.raises(AuditUnavailable):
        _file(database, rules, photo=jpeg_with_exif())
    with engine.connect() as db:
        assert db.execute(select(dispute_requests)).all() == []
    assert _stored_photos(engine) == []
