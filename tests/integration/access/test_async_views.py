"""The API's statement view on the event loop gives what the sync view gives, and logs the same.

PostgreSQL only (psycopg's async API; SQLite and replicas keep the sync view): each case runs both
views as the same citizen and compares the statements and the audit rows they append.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.integration.access.test_access_service import (
    ADMIN,
    AUTHORISED,
    CODE,
    HOLDER,
    OTHER,
    assert_chain_intact,
    citizen,
    events,
    make_database,
)
from tests.support.audit import make_every_append_collide
from tests.support.factories.billing import add_invoice, add_subscriber
from waterbill.access import async_views
from waterbill.access.policy import Policy
from waterbill.access.service import grant_authorisation, view_statement
from waterbill.audit.chain import EventRow
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.db.async_pool import async_pool
from waterbill.db.database import Database
from waterbill.errors import AuditUnavailable, ServiceError
from waterbill.statement.domain import Statement

pytestmark = pytest.mark.postgres

NON_HOUSEHOLD = "5550001111"


@pytest.fixture(params=["masked-for-others", "holder-only"])
def database(
    request: pytest.FixtureRequest, engine: Engine, settings: Settings
) -> Iterator[Database]:
    if engine.dialect.name != "postgresql":
        pytest.skip("the async view runs on PostgreSQL only")
    with engine.begin() as db:
        sid = add_subscriber(db, code=CODE, holder_fin=HOLDER)
        add_invoice(db, sid, "2026-10", "water", "7.000")
        add_subscriber(db, code=NON_HOUSEHOLD, holder_fin="8NNPQ42", category="non_population")
    policy: Policy = request.param
    database = make_database(settings, policy)
    grant_authorisation(
        database=database,
        holder=citizen(HOLDER, database.settings),
        code=CODE,
        grantee_fin=AUTHORISED,
        channel="web",
    )
    yield database
    database.dispose()


def view_async(database: Database, viewer: Citizen, code: str) -> Statement:
    async def view() -> Statement:
        pool = async_pool(database.settings)
        assert pool is not None
        await pool.open()
        try:
            return await async_views.view_statement(
                pool, viewer=viewer, code=code, channel="api", settings=database.settings
            )
        finally:
            await pool.close()

    return asyncio.run(view())


Outcome = tuple[Statement | str, tuple[object, ...]]


def logged(event: EventRow) -> tuple[object, ...]:
    return (
        event.tag,
        event.actor,
        event.subscriber_code,
        event.channel,
        event.auth_method,
        event.result,
        event.reason,
        event.details,
    )


def outcome(database: Database, view: object, viewer: Citizen, code: str) -> Outcome:
    """What the view returned (or the refusal's code and parameters), and the row it appended."""
    before = len(events(database))
    try:
        if view is view_statement:
            shown: Statement | str = view_statement(
                database=database, viewer=viewer, code=code, channel="api"
            )
        else:
            shown = view_async(database, viewer, code)
    except ServiceError as refusal:
        shown = f"{refusal.code} {refusal.params}"
    appended = events(database)[before:]
    assert len(appended) == 1
    return shown, logged(appended[0])


@pytest.mark.parametrize("fin", [HOLDER, AUTHORISED, ADMIN, OTHER])
@pytest.mark.parametrize(
    "code", [CODE, " 010-441-0203 ", "0104419999", NON_HOUSEHOLD, "01044", "not-a-code"]
)
def test_the_async_view_shows_refuses_and_logs_as_the_sync_view(
    database: Database, fin: str, code: str
) -> None:
    viewer = citizen(fin, database.settings)
    assert outcome(database, view_async, viewer, code) == outcome(
        database, view_statement, viewer, code
    )
    assert_chain_intact(database)


def test_without_its_audit_row_the_async_view_shows_nothing(
    database: Database, engine: Engine
) -> None:
    with engine.begin() as db:
        make_every_append_collide(db, database.settings)
    with pytest.raises(AuditUnavailable):
        view_async(database, citizen(HOLDER, database.settings), CODE)


def test_no_async_pool_on_sqlite_or_with_replicas(settings: Settings) -> None:
    assert async_pool(settings.model_copy(update={"database_url": "sqlite:///x.db"})) is None
    replicated = settings.model_copy(update={"database_replica_urls": [settings.database_url]})
    assert async_pool(replicated) is None
