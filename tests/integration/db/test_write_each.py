"""``Database.write_each``: each statement commits as it returns on PostgreSQL, one transaction on
SQLite that begins at its first write, and the connection goes back to the pool as it came; and
``Database.write``, whose savepoints commit only with it."""

from __future__ import annotations

import pytest
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


def test_on_sqlite_a_write_each_block_reads_while_another_writer_holds_the_lock(
    engine: Engine, database_url: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock")
    database = Database(Settings(database_url=database_url, database_pool_size=1))
    try:
        with engine.connect() as writer, writer.begin():
            add_subscriber(writer)
            # A view reads its statement meanwhile: it waits for the lock only to append its row.
            with database.write_each() as db:
                assert db.scalar(select(func.count()).select_from(subscribers)) == 0
        assert _count(engine) == 1
    finally:
        database.dispose()


def test_a_released_savepoint_commits_only_with_its_unit_of_work(
    engine: Engine, database_url: str
) -> None:
    database = Database(Settings(database_url=database_url))
    seen_after_release: list[int] = []

    def fail_after_a_savepoint() -> None:
        with database.write() as db:
            with db.begin_nested():
                add_subscriber(db)
            seen_after_release.append(_count(engine))
            raise RuntimeError("the unit of work fails after its savepoint")

    try:
        with pytest.raises(RuntimeError):
            fail_after_a_savepoint()
        assert seen_after_release == [0]
        assert _count(engine) == 0
    finally:
        database.dispose()
