"""Demo data written in bulk to the real store, on SQLite and PostgreSQL, then read back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, func, select

from tests.factories import add_subscriber
from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.cli import main
from waterbill.config import Settings, get_settings
from waterbill.db.database import Database
from waterbill.demo.generator import DemoGenerator, DemoPlan
from waterbill.demo.service import DatabaseNotEmpty, DemoResult, load_demo_data
from waterbill.statement.domain import end_of_baku_day
from waterbill.statement.service import get_statement

AS_OF = date(2026, 11, 26)


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    """The application's handle on the test database (``engine`` empties it afterwards)."""
    handle = Database(settings)
    yield handle
    handle.dispose()


def load(database: Database, subscribers: int = 40, **options: object) -> DemoResult:
    arguments: dict[str, object] = {
        "database": database,
        "subscribers": subscribers,
        "seed": 3,
        "months": 24,
        "as_of": AS_OF,
        "norm_m3_per_person": Decimal("3"),
        "chunk_size": 15,
    }
    arguments.update(options)
    return load_demo_data(**arguments)  # type: ignore[arg-type]


def hand_balance(db: Connection, code: str) -> Decimal:
    """Every invoice up to the as-of month minus every payment up to the end of the as-of day."""
    subscriber_id = db.scalar(select(subscribers.c.id).where(subscribers.c.code == code))
    amounts = db.scalars(
        select(invoices.c.amount).where(
            invoices.c.subscriber_id == subscriber_id, invoices.c.period <= "2026-11"
        )
    ).all()
    paid = db.scalars(
        select(payments.c.amount).where(
            payments.c.subscriber_id == subscriber_id,
            payments.c.paid_at < end_of_baku_day(AS_OF),
        )
    ).all()
    return sum(amounts, Decimal("0.00")) - sum(paid, Decimal("0.00"))


def test_the_store_holds_exactly_the_generated_rows(engine: Engine, database: Database) -> None:
    result = load(database)
    plan = DemoPlan(subscribers=40, seed=3, months=24, as_of=AS_OF, norm_m3_per_person=Decimal("3"))
    expected = {"invoices": Decimal(0), "payments": Decimal(0)}
    for chunk in DemoGenerator(plan).chunks():
        expected["invoices"] += sum(row["amount"] for row in chunk.invoices)
        expected["payments"] += sum(row["amount"] for row in chunk.payments)
    with engine.connect() as db:
        counts = {
            "subscribers": db.scalar(select(func.count()).select_from(subscribers)),
            "invoices": db.scalar(select(func.count()).select_from(invoices)),
            "revisions": db.scalar(select(func.count()).select_from(invoice_revisions)),
            "payments": db.scalar(select(func.count()).select_from(payments)),
        }
        invoiced = db.scalar(select(func.sum(invoices.c.amount)))
        paid = db.scalar(select(func.sum(payments.c.amount)))
    assert counts == result.counts
    assert counts["subscribers"] == 40
    assert counts["revisions"] > 0
    assert Decimal(str(invoiced)) == expected["invoices"]
    assert Decimal(str(paid)) == expected["payments"]


def test_statements_of_generated_codes_close_on_the_hand_computed_balance(
    engine: Engine, database: Database
) -> None:
    load(database)
    with engine.connect() as db:
        codes = db.scalars(
            select(subscribers.c.code).where(subscribers.c.category == "population")
        ).all()
        balances = []
        for code in codes:
            statement = get_statement(db=db, code=code, as_of=AS_OF)
            assert statement.closing_balance == hand_balance(db, code), code
            balances.append(statement.balance_kind)
    assert {"debt", "advance"} <= set(balances)


def test_the_first_demo_citizen_sees_a_recalculated_month(
    engine: Engine, database: Database
) -> None:
    result = load(database)
    first = result.citizens[0]
    with engine.connect() as db:
        statement = get_statement(db=db, code=first.accounts[0].code, as_of=AS_OF)
        held = db.scalars(
            select(subscribers.c.code).where(subscribers.c.holder_fin == first.fin)
        ).all()
    assert any(month.recalculated for month in statement.months)
    assert statement.subscriber.services == ("water", "wastewater")
    assert statement.subscriber.meter_type != "none"
    assert sorted(held) == sorted(account.code for account in first.accounts)
    assert any(len(citizen.accounts) >= 2 for citizen in result.citizens)


def test_a_second_load_is_refused_and_if_empty_leaves_the_data_alone(
    engine: Engine, database: Database
) -> None:
    load(database)
    with pytest.raises(DatabaseNotEmpty):
        load(database)
    skipped = load(database, if_empty=True)
    assert not skipped.loaded
    assert skipped.existing_subscribers == 40
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(subscribers)) == 40


def test_new_rows_get_fresh_ids_after_the_bulk_load(engine: Engine, database: Database) -> None:
    load(database)
    with engine.begin() as db:
        new_id = add_subscriber(db, code="0999999999")
    assert new_id == 41


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("WATERBILL_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_command_loads_prints_citizens_and_then_skips_with_if_empty(
    engine: Engine, cli: CliRunner
) -> None:
    arguments = ["demo-data", "--subscribers", "12", "--seed", "1", "--as-of", "2026-11-26"]
    first = cli.invoke(main, arguments)
    assert first.exit_code == 0, first.output
    assert "12 abonent" in first.output
    with engine.connect() as db:
        fin, code = db.execute(
            select(subscribers.c.holder_fin, subscribers.c.code).order_by(subscribers.c.id)
        ).first()  # type: ignore[misc]
    assert f"FIN {fin}" in first.output
    assert code in first.output

    again = cli.invoke(main, [*arguments, "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "12 subscribers already exist" in again.output

    refused = cli.invoke(main, arguments)
    assert refused.exit_code == 2
