"""The engine fails fast: pre-ping, a short pool wait, and a statement timeout on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from waterbill.config import Settings
from waterbill.db.engine import make_engine

pytestmark = pytest.mark.postgres


def test_a_runaway_statement_is_cancelled_by_the_server_after_the_statement_timeout(
    make_postgres_database: Callable[[], str],
) -> None:
    url = make_postgres_database()
    engine = make_engine(url, Settings(database_url=url, database_statement_timeout=0.3))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "300ms"
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 2
    finally:
        engine.dispose()


def test_a_request_waits_at_most_the_pool_timeout_for_a_connection(
    make_postgres_database: Callable[[], str],
) -> None:
    url = make_postgres_database()
    settings = Settings(database_url=url, database_pool_size=1, database_pool_timeout=0.3)
    engine = make_engine(url, settings, max_overflow=0)
    try:
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
        with engine.connect():
            started = time.monotonic()
            with pytest.raises(Exception, match="QueuePool limit"):
                engine.connect()
            assert time.monotonic() - started < 1
    finally:
        engine.dispose()
