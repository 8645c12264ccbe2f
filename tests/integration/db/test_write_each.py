"""``Database.write_each``: each statement commits as it returns on PostgreSQL, one transaction on
SQLite, and the connection goes back to the pool as it came."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text

from tests.support.factories.billing import add_subscriber
from waterbill.billing.tables import subscribers
from waterbill.config import Settings
from waterbill.db.database import Database


def _count(engine: Engine) -> int:
    with engine.connect() as other:
        return int(other.scalar(select(func.count()).select_from(subscribers)) or 0)


def test_a_statement_is_committed_before_the_block_ends_on_postgresql_only(
    engine: Engine, database_url: str
) -> None:
    database = Database(Settings(database_url=database_url, database_pool_size=1))
    try:
        with database.write_each() as db:
            add_subscriber(db)
            seen_meanwhile = _count(engine)
        assert _count(engine) == 1
        assert seen_meanwhile == (1 if database.dialect == "postgresql" else 0)
        # The pool's one connection is back in a transaction of its own for the next writer.
        with database.write() as db:
            add_subscriber(db, code="0104410299")
            if database.dialect == "postgresql":
                assert db.scalar(text("SELECT now() = statement_timestamp()")) is False
        assert _count(engine) == 2
    finally:
        database.dispose()
