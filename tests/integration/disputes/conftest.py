"""The dispute service against the real store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes.service import FilingRules


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    """The application's own handle on the test database (emptied after the test by ``engine``)."""
    handle = Database(settings)
    yield handle
    handle.dispose()


@pytest.fixture
def rules() -> FilingRules:
    return FilingRules(daily_limit=5)
