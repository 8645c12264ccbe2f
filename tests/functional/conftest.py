"""The real app on a free loopback port (tests/support/live_server.py), as fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.live_server import LiveServer, serve, sqlite_server


@pytest.fixture
def live_server(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    """On each engine, for tests where the database matters."""
    with serve(database_url, engine) as server:
        yield server


@pytest.fixture(scope="module")
def sqlite_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for a module whose tests do not depend on the database engine."""
    with sqlite_server(tmp_path_factory) as server:
        yield server


STAFF_FIN = "5ZK3LRT"


@pytest.fixture(scope="module")
def staff_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Like ``sqlite_live_server``, with ``STAFF_FIN`` an admin (the staff operations open)."""
    with sqlite_server(tmp_path_factory, admin_fins=[STAFF_FIN]) as server:
        yield server
