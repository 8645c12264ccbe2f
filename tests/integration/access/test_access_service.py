"""The access policy through the service layer, on the real SQLite and PostgreSQL; all logged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text

from tests.support.audit import make_every_append_collide
from tests.support.factories.billing import add_invoice, add_subscriber
from waterbill.access.grants import authorisations_of, grant_authorisation, revoke_authorisation
from waterbill.access.oversight import account_views, my_account_views, oversight
from waterbill.access.policy import Policy, pseudonym_of
from waterbill.access.views import statement_page, view_statement
from waterbill.audit.chain import EventRow
from waterbill.audit.repository import EventFilter, recent_events
from waterbill.audit.service import verify_chain
from waterbill.audit.tables import audit_events
from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.errors import (
    AuditUnavailable,
    MalformedCode,
    MalformedFin,
    NotHousehold,
    UnknownCode,
)

AS_OF = date(2026, 11, 26)
CODE = "0104410203"
OTHERS_CODE = "0104410299"
HOLDER, AUTHORISED, OTHER, ADMIN = "5ZK3LRT", "7ABCD12", "94FMDDD", "2XY4K7M"


def citizen(fin: str, settings: Settings, surname: str = "Məmmədova") -> Citizen:
    return Citizen(
        fin=fin,
        surname=surname,
        name="Leyla",
        patronymic="",
        auth_method="asan_imza",
        pseudonym=pseudonym_of(fin, settings),
    )


def make_database(settings: Settings, policy: Policy) -> Database:
    return Database(settings.model_copy(update={"access_policy": policy, "admin_fins": [ADMIN]}))


@pytest.fixture(params=["masked-for-others", "holder-only"])
def database(
    request: pytest.FixtureRequest, engine: Engine, settings: Settings
) -> Iterator[Database]:
    with engine.begin() as db:
        sid = add_subscriber(db, code=CODE, holder_fin=HOLDER)
        add_invoice(db, sid, "2026-10", "water", "7.000")
        other = add_subscriber(db, code=OTHERS_CODE, holder_fin=OTHER, surname="Quliyev")
        add_invoice(db, other, "2026-10", "water", "3.000")
        add_subscriber(db, code="5550001111", holder_fin="8NNPQ42", category="non_population")
    database = make_database(settings, request.param)
    grant_authorisation(
        database=database,
        holder=citizen(HOLDER, database.settings),
        code=CODE,
        grantee_fin=AUTHORISED,
        channel="web",
    )
    yield database
    database.dispose()


def events(database: Database, **where: object) -> list[EventRow]:
    with database.read() as db:
        return list(reversed(recent_events(db, EventFilter(**where), limit=1000)))  # type: ignore[arg-type]


def last_event(database: Database) -> EventRow:
    return events(database)[-1]


def assert_chain_intact(database: Database) -> None:
    with database.read() as db:
        report = verify_chain(db=db)
    assert report.intact, report.describe()


@pytest.mark.parametrize(
    ("fin", "role"),
    [(HOLDER, "holder"), (AUTHORISED, "authorised"), (ADMIN, "admin")],
)
@pytest.mark.parametrize("channel", ["web", "api"])
def test_the_holder_an_authorised_citizen_and_an_admin_see_the_full_statement(
    database: Database, fin: str, role: str, channel: str
) -> None:
    viewer = citizen(fin, database.settings)
    statement = view_statement(
        database=database,
        viewer=viewer,
        code=CODE,
        channel=channel,
        as_of=AS_OF,  # type: ignore[arg-type]
    )
    assert not statement.masked
    assert statement.subscriber.surname == "Hüseynov"
    assert statement.subscriber.address.apartment == "34"
    logged = last_event(database)
    assert (logged.tag, logged.result, logged.reason) == ("statement:view", "full", role)
    assert (logged.actor, logged.subscriber_code, logged.channel) == (
        viewer.pseudonym,
        CODE,
        channel,
    )
    assert logged.auth_method == "asan_imza"
    assert HOLDER not in logged.details
    assert fin not in logged.details
    assert_chain_intact(database)


@pytest.mark.parametrize("channel", ["web", "api"])
def test_another_citizen_gets_a_masked_statement_or_a_refusal_by_policy(
    database: Database, channel: str
) -> None:
    other = citizen(OTHER, database.settings)
    if database.settings.access_policy == "holder-only":
        with pytest.raises(Forbidden) as refused:
            view_statement(
                database=database,
                viewer=other,
                code=CODE,
                channel=channel,
                as_of=AS_OF,  # type: ignore[arg-type]
            )
        assert refused.value.params == {"code": CODE, "reason": "not_holder"}
        logged = last_event(database)
        assert (logged.tag, logged.result, logged.reason) == (
            "access:refused",
            "refused",
            "forbidden",
        )
    else:
        statement = view_statement(
            database=database,
            viewer=other,
            code=CODE,
            channel=channel,
            as_of=AS_OF,  # type: ignore[arg-type]
        )
        assert statement.masked
        assert statement.masked_reason == "not_holder"
        person = statement.subscriber
        assert (person.name, person.surname, person.patronymic) == ("Q.", "H.", "")
        assert person.address.text == "Bakı, Nəsimi r."
        assert person.persons_served is None
        assert (statement.months, statement.closing_balance) == ((), Decimal("4.90"))
        logged = last_event(database)
        assert (logged.tag, logged.result, logged.reason) == (
            "statement:view",
            "masked",
            "not_holder",
        )
    assert logged.actor == other.pseudonym
    assert logged.channel == channel
    assert_chain_intact(database)


@pytest.mark.parametrize(("fin", "may_act"), [(HOLDER, True), (AUTHORISED, True), (ADMIN, False)])
def test_the_statement_page_offers_requests_and_readings_to_the_household_alone_in_one_view(
    database: Database, fin: str, may_act: bool
) -> None:
    viewer = citizen(fin, database.settings)
    before = len(events(database, tags=("statement:view",)))

    page = statement_page(database=database, viewer=viewer, code=CODE, channel="web")

    assert not page.statement.masked
    assert (page.disputes.may_file, page.readings.may_submit) == (may_act, may_act)
    assert len(events(database, tags=("statement:view",))) == before + 1
    assert_chain_intact(database)


def test_another_citizens_statement_page_is_masked_with_nothing_beside_it_or_refused(
    database: Database,
) -> None:
    other = citizen(OTHER, database.settings)
    if database.settings.access_policy == "holder-only":
        with pytest.raises(Forbidden):
            statement_page(database=database, viewer=other, code=CODE, channel="web")
        assert (last_event(database).tag, last_event(database).reason) == (
            "access:refused",
            "forbidden",
        )
        return
    page = statement_page(database=database, viewer=other, code=CODE, channel="web")
    assert page.statement.masked
    assert (page.disputes.may_file, page.disputes.by_month) == (False, {})
    assert (page.readings.may_submit, page.readings.readings) == (False, [])
    assert last_event(database).tag == "statement:view"


def test_an_admin_the_holder_authorised_may_dispute_from_the_statement_page(
    database: Database,
) -> None:
    grant_authorisation(
        database=database,
        holder=citizen(HOLDER, database.settings),
        code=CODE,
        grantee_fin=ADMIN,
        channel="web",
    )
    admin = citizen(ADMIN, database.settings)

    page = statement_page(database=database, viewer=admin, code=CODE, channel="web")

    assert (page.disputes.may_file, page.readings.may_submit) == (True, True)
    assert last_event(database).reason == "admin"


def test_an_anonymous_request_is_refused_and_logged(database: Database) -> None:
    with pytest.raises(Unauthenticated):
        view_statement(database=database, viewer=None, code=CODE, channel="api", as_of=AS_OF)
    logged = last_event(database)
    assert (logged.tag, logged.actor, logged.subscriber_code) == ("access:refused", None, CODE)
    assert (logged.result, logged.reason) == ("refused", "unauthenticated")


def test_changing_the_code_in_the_url_never_shows_another_persons_data(database: Database) -> None:
    viewer = citizen(OTHER, database.settings)
    own = view_statement(
        database=database, viewer=viewer, code=OTHERS_CODE, channel="web", as_of=AS_OF
    )
    assert not own.masked
    for code in (CODE, "010-441-0203", " 0104410203 "):
        try:
            seen = view_statement(
                database=database, viewer=viewer, code=code, channel="api", as_of=AS_OF
            )
        except Forbidden:
            continue
        assert seen.masked
        assert "Hüseynov" not in repr(seen.subscriber)
        assert "Füzuli" not in repr(seen.subscriber)
        assert HOLDER not in repr(seen.subscriber)


@pytest.mark.parametrize(
    ("code", "error", "logged_code"),
    [
        ("12AB34", MalformedCode, None),
        ("9999999999", UnknownCode, "9999999999"),
        ("5550001111", NotHousehold, "5550001111"),
    ],
)
def test_each_refusal_of_the_statement_service_is_logged(
    database: Database, code: str, error: type[Exception], logged_code: str | None
) -> None:
    with pytest.raises(error):
        view_statement(
            database=database,
            viewer=citizen(HOLDER, database.settings),
            code=code,
            channel="web",
            as_of=AS_OF,
        )
    logged = last_event(database)
    assert (logged.tag, logged.result, logged.subscriber_code) == (
        "access:refused",
        "refused",
        logged_code,
    )
    assert logged.reason == error.code  # type: ignore[attr-defined]


def test_no_statement_is_returned_when_the_audit_row_cannot_be_written(
    database: Database, engine: Engine
) -> None:
    with engine.begin() as db:
        make_every_append_collide(db)
    before = len(events(database))
    with pytest.raises(AuditUnavailable):
        view_statement(
            database=database,
            viewer=citizen(HOLDER, database.settings),
            code=CODE,
            channel="web",
            as_of=AS_OF,
        )
    assert len(events(database)) == before


def test_a_revoked_authorisation_no_longer_shows_the_full_statement(database: Database) -> None:
    holder = citizen(HOLDER, database.settings)
    revoke_authorisation(
        database=database, holder=holder, code=CODE, grantee_fin=AUTHORISED, channel="web"
    )
    assert last_event(database).tag == "authorisation:revoked"
    viewer = citizen(AUTHORISED, database.settings)
    if database.settings.access_policy == "holder-only":
        with pytest.raises(Forbidden):
            view_statement(database=database, viewer=viewer, code=CODE, channel="web", as_of=AS_OF)
    else:
        seen = view_statement(
            database=database, viewer=viewer, code=CODE, channel="web", as_of=AS_OF
        )
        assert seen.masked
    grants = authorisations_of(database=database, holder=holder, code=CODE)
    assert [(g.grantee_fin, g.active) for g in grants] == [(AUTHORISED, False)]


def test_a_grant_lapses_when_the_account_changes_hands(database: Database, engine: Engine) -> None:
    with engine.begin() as db:
        db.execute(
            text("UPDATE subscribers SET holder_fin = '3MNP7Q2' WHERE code = :code"), {"code": CODE}
        )
    seen = None
    try:
        seen = view_statement(
            database=database,
            viewer=citizen(AUTHORISED, database.settings),
            code=CODE,
            channel="web",
            as_of=AS_OF,
        )
    except Forbidden:
        assert database.settings.access_policy == "holder-only"
    assert seen is None or seen.masked


def test_granting_is_logged_once_and_only_the_holder_may_grant(database: Database) -> None:
    holder = citizen(HOLDER, database.settings)
    granted = [e for e in events(database) if e.tag == "authorisation:granted"]
    assert len(granted) == 1
    assert pseudonym_of(AUTHORISED, database.settings) in granted[0].details
    assert AUTHORISED not in granted[0].details
    grant_authorisation(
        database=database, holder=holder, code=CODE, grantee_fin="7abcd12", channel="web"
    )
    assert len([e for e in events(database) if e.tag == "authorisation:granted"]) == 1

    with pytest.raises(Forbidden):
        grant_authorisation(
            database=database,
            holder=citizen(OTHER, database.settings),
            code=CODE,
            grantee_fin=OTHER,
            channel="api",
        )
    refused = last_event(database)
    assert (refused.tag, refused.reason, refused.subscriber_code) == (
        "authorisation:refused",
        "forbidden",
        CODE,
    )
    with pytest.raises(MalformedFin):
        grant_authorisation(
            database=database, holder=holder, code=CODE, grantee_fin="IO12345", channel="web"
        )
    with pytest.raises(MalformedFin):
        grant_authorisation(
            database=database, holder=holder, code=CODE, grantee_fin=HOLDER, channel="web"
        )
    assert_chain_intact(database)


def test_a_past_views_label_does_not_change_with_later_grants_or_revocations(
    database: Database,
) -> None:
    settings = database.settings
    holder = citizen(HOLDER, settings)

    def view(fin: str) -> None:
        with contextlib.suppress(Forbidden):
            view_statement(
                database=database, viewer=citizen(fin, settings), code=CODE, channel="web"
            )

    def labels() -> list[tuple[str, str | None]]:
        views = account_views(database=database, holder=holder, code=CODE, channel="web")
        return [(v.viewer.kind, v.viewer.label) for v in views]

    view(OTHER)  # a stranger
    view(AUTHORISED)  # authorised since the fixture
    before = labels()
    assert before == [
        ("authorised", "7A****2"),
        ("other", "…" + pseudonym_of(OTHER, settings)[-6:]),
    ]
    # The holder guesses the stranger's FIN, grants and revokes; and revokes the other grant.
    for fin in (OTHER, AUTHORISED):
        grant_authorisation(
            database=database, holder=holder, code=CODE, grantee_fin=fin, channel="web"
        )
        revoke_authorisation(
            database=database, holder=holder, code=CODE, grantee_fin=fin, channel="web"
        )
    assert labels() == before


def test_the_holder_sees_who_viewed_the_account_masked(database: Database) -> None:
    settings = database.settings
    holder = citizen(HOLDER, settings)
    for fin in (HOLDER, AUTHORISED, ADMIN):
        view_statement(
            database=database, viewer=citizen(fin, settings), code=CODE, channel="web", as_of=AS_OF
        )
    with contextlib.suppress(Forbidden):
        view_statement(
            database=database,
            viewer=citizen(OTHER, settings),
            code=CODE,
            channel="api",
            as_of=AS_OF,
        )
    views = account_views(database=database, holder=holder, code=CODE, channel="web")
    newest_first = [(v.viewer.kind, v.viewer.label, v.channel, v.result) for v in views]
    other_label = "…" + pseudonym_of(OTHER, settings)[-6:]
    other_result = "refused" if settings.access_policy == "holder-only" else "masked"
    assert newest_first == [
        ("other", other_label, "api", other_result),
        ("admin", None, "web", "full"),
        ("authorised", "7A****2", "web", "full"),
        ("you", None, "web", "full"),
    ]
    assert all(v.occurred_at.tzinfo is not None for v in views)
    assert list(my_account_views(database=database, holder=holder, channel="web")) == [CODE]

    with pytest.raises(Forbidden):
        account_views(database=database, holder=citizen(OTHER, settings), code=CODE, channel="web")
    assert (last_event(database).tag, last_event(database).reason) == (
        "access:refused",
        "forbidden",
    )


def test_an_admin_sees_views_per_hour_refusals_and_the_widest_viewers(database: Database) -> None:
    settings = database.settings
    scraper = citizen(OTHER, settings)
    for code in (CODE, OTHERS_CODE, "9999999999"):
        with contextlib.suppress(Forbidden, UnknownCode):
            view_statement(database=database, viewer=scraper, code=code, channel="api", as_of=AS_OF)
    view_statement(
        database=database, viewer=citizen(HOLDER, settings), code=CODE, channel="web", as_of=AS_OF
    )

    report = oversight(database=database, admin=citizen(ADMIN, settings), channel="web")
    assert sum(hour.total for hour in report.per_hour) == 4
    assert {e.reason for e in report.refusals} >= {"unknown_code"}
    top = report.top_viewers[0]
    assert top.actor == scraper.pseudonym
    assert last_event(database).tag == "admin:audit:query"

    by_code = oversight(database=database, admin=citizen(ADMIN, settings), channel="web", code=CODE)
    assert sum(hour.total for hour in by_code.per_hour) == 2
    by_citizen = oversight(
        database=database, admin=citizen(ADMIN, settings), channel="web", citizen_fin=OTHER
    )
    assert sum(hour.total for hour in by_citizen.per_hour) == 3

    with pytest.raises(Forbidden):
        oversight(database=database, admin=scraper, channel="web")
    assert (last_event(database).tag, last_event(database).actor) == (
        "access:refused",
        scraper.pseudonym,
    )
    with database.read() as db:
        assert db.scalar(select(func.count()).select_from(audit_events)) == len(events(database))
