"""Bulk commands lift the statement timeout that guards citizen requests, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from waterbill.config import Settings
from waterbill.db.engine import make_engine


@pytest.mark.postgres
def test_bulk_work_runs_without_the_statement_timeout(
    make_postgres_database: Callable[[], str],
) -> None:
    url = make_postgres_database()
    settings = Settings(database_url=url, database_statement_timeout=5)
    bulk = settings.for_bulk_work()
    assert bulk.database_url == settings.database_url

    shown = {}
    for name, chosen in (("citizen", settings), ("bulk", bulk)):
        engine = make_engine(chosen.database_url, chosen)
        with engine.connect() as connection:
            shown[name] = connection.execute(text("SHOW statement_timeout")).scalar_one()
        engine.dispose()

    assert shown == {"citizen": "5s", "bulk": "0"}
