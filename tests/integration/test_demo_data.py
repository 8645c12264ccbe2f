"""Demo data written in bulk to the real store, on SQLite and PostgreSQL, then read back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, func, select, text

from tests.support.factories.billing import add_invoice, add_subscriber
from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.calendar import end_of_baku_day
from waterbill.cli import main
from waterbill.config import Settings, get_settings
from waterbill.db.database import Database
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.db.schema import metadata
from waterbill.demo.generator import DemoGenerator, DemoPlan, as_dicts
from waterbill.demo.service import DatabaseNotEmpty, DemoResult, load_demo_data
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


def generated(plan: DemoPlan) -> dict[str, list[dict[str, object]]]:
    rows: dict[str, list[dict[str, object]]] = defaultdict(list)
    for chunk in DemoGenerator(plan).chunks():
        for name, part in as_dicts(chunk).items():
            rows[name] += part
    return rows


def stored(engine: Engine) -> dict[str, list[dict[str, object]]]:
    tables = {
        "subscribers": subscribers,
        "invoices": invoices,
        "revisions": invoice_revisions,
        "payments": payments,
    }
    with engine.connect() as db:
        return {
            name: [dict(row) for row in db.execute(select(table).order_by(table.c.id)).mappings()]
            for name, table in tables.items()
        }


def test_the_store_holds_exactly_the_generated_rows(engine: Engine, database: Database) -> None:
    result = load(database)
    plan = DemoPlan(subscribers=40, seed=3, months=24, as_of=AS_OF, norm_m3_per_person=Decimal("3"))
    expected = generated(plan)
    rows = stored(engine)
    assert {name: len(part) for name, part in rows.items()} == result.counts
    assert result.counts["subscribers"] == 40
    assert result.counts["revisions"] > 0
    assert rows == expected


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


# -- PostgreSQL: worker processes, and the indexes dropped for the load -------------------------

_SCHEMA = text(
    """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
    ORDER BY 1, 2, 3
    """
)


@pytest.fixture
def postgres(make_postgres_database: Callable[[], str]) -> Iterator[tuple[Engine, Database]]:
    """A migrated PostgreSQL database of the test's own, and the application's handle on it."""
    url = make_postgres_database()
    upgrade(url)
    settings = Settings(env="test", database_url=url, secret_key="test-secret-key-0123456789")
    engine = make_engine(url, settings)
    database = Database(settings)
    yield engine, database
    database.dispose()
    engine.dispose()


def schema(engine: Engine) -> list[tuple[str, ...]]:
    with engine.connect() as db:
        return [tuple(row) for row in db.execute(_SCHEMA)]


@pytest.mark.postgres
def test_worker_processes_load_exactly_the_rows_of_one_process(
    postgres: tuple[Engine, Database],
) -> None:
    engine, database = postgres
    # Shards of about seven subscribers, three processes: shards finish out of order.
    result = load(database, subscribers=60, chunk_size=7, processes=3)
    plan = DemoPlan(subscribers=60, seed=3, months=24, as_of=AS_OF, norm_m3_per_person=Decimal("3"))
    expected = generated(plan)
    assert stored(engine) == expected
    assert result.counts == {name: len(part) for name, part in expected.items()}
    single = DemoGenerator(plan)
    single.whole()
    assert result.citizens == tuple(single.citizens)


@pytest.mark.postgres
def test_the_schema_after_a_load_is_the_migrated_one(postgres: tuple[Engine, Database]) -> None:
    engine, database = postgres
    before = schema(engine)
    assert any("ix_invoices_invoice_no" in row for row in before)
    load(database)
    assert schema(engine) == before
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


@pytest.mark.postgres
def test_a_load_whose_ids_were_disturbed_fails_and_leaves_schema_and_tables_as_they_were(
    postgres: tuple[Engine, Database],
) -> None:
    engine, database = postgres
    before = schema(engine)
    # Someone else takes a number from the payments' sequence while the load runs.
    with engine.begin() as db:
        db.execute(
            text(
                "CREATE FUNCTION take_a_number() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM nextval('payments_id_seq'); RETURN NEW; END $$"
            )
        )
        db.execute(
            text(
                "CREATE TRIGGER take_a_number BEFORE INSERT ON invoice_revisions "
                "FOR EACH ROW EXECUTE FUNCTION take_a_number()"
            )
        )
    with pytest.raises(RuntimeError, match="payments: the id sequence moved"):
        load(database)
    with engine.begin() as db:
        db.execute(text("DROP TRIGGER take_a_number ON invoice_revisions"))
        db.execute(text("DROP FUNCTION take_a_number"))
    assert schema(engine) == before
    assert all(not part for part in stored(engine).values())


@pytest.mark.postgres
def test_a_load_refuses_to_empty_a_table_that_holds_rows(
    postgres: tuple[Engine, Database],
) -> None:
    engine, database = postgres
    # An invoice whose subscriber is gone: only possible with the foreign key checks switched off.
    with engine.begin() as db:
        db.execute(text("SET LOCAL session_replication_role = replica"))
        add_invoice(db, 999, "2026-01")
    with pytest.raises(RuntimeError, match="without subscribers"):
        load(database)
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(invoices)) == 1
        assert db.scalar(select(func.count()).select_from(subscribers)) == 0
