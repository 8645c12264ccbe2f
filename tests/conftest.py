"""Shared fixtures: real databases (SQLite and PostgreSQL, each migrated by Alembic) and Redis.

Every test session gets its own PostgreSQL database, so parallel runs on one server never collide.
Without a reachable server the PostgreSQL tier is skipped loudly; CI sets
WATERBILL_REQUIRE_POSTGRES=1 and then an unreachable server fails the run.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import time_machine
from sqlalchemy import Engine, delete

from tests.support.replica import ReplicaUnavailable, StreamingReplica, streaming_replica
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.db.schema import metadata

ADMIN_URL = os.environ.get(
    "WATERBILL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("WATERBILL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_POSTGRES = os.environ.get("WATERBILL_REQUIRE_POSTGRES") == "1"
_postgres_skipped: list[str] = []
_replica_skipped: list[str] = []
CLOCK_SITE = Path(__file__).with_name("clock_site")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("WATERBILL_TEST_CLOCK"),
        metavar="INSTANT",
        help="run the suite with the clock set to this ISO 8601 instant (it ticks on from there), "
        "in this process and every Python process a test starts; env WATERBILL_TEST_CLOCK",
    )


def pytest_configure(config: pytest.Config) -> None:
    instant = config.getoption("--clock")
    if not instant:
        return
    moved_to = datetime.fromisoformat(instant)
    if moved_to.tzinfo is None:
        raise pytest.UsageError(f"--clock needs an instant with an offset, e.g. {instant}Z")
    os.environ["TESTS_CLOCK_OFFSET"] = str(moved_to.timestamp() - time.time())
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(CLOCK_SITE), os.environ.get("PYTHONPATH")])
    )
    time_machine.travel(moved_to, tick=True).start()


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = config.getoption("--clock")
    return f"clock moved to {instant} (ticking)" if instant else None


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip() or error.__class__.__name__


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_problem()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here but unreachable at {ADMIN_URL}: {problem}")
        _postgres_skipped.append(problem)
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_URL}")
    return ADMIN_URL


@pytest.fixture(scope="session")
def make_postgres_database(postgres_admin_url: str) -> Iterator[object]:
    """Creates empty PostgreSQL databases for this session and drops them all at the end."""
    created: list[str] = []

    def create() -> str:
        name = f"waterbill_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = postgres_admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    yield create
    with psycopg.connect(postgres_admin_url, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def replica(postgres_admin_url: str) -> Iterator[StreamingReplica]:
    """A streaming replica of the test server (see tests/support/replica.py), for the session.

    Like the server itself: skipped loudly when it cannot run here, a failure when CI requires it.
    """
    try:
        with streaming_replica(postgres_admin_url) as running:
            yield running
    except ReplicaUnavailable as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"a streaming replica is required here but cannot run: {error}")
        _replica_skipped.append(str(error))
        pytest.skip(f"no streaming replica: {error}")


@pytest.fixture(scope="session")
def replicated_database(make_postgres_database: Any, replica: StreamingReplica) -> tuple[str, str]:
    """A migrated PostgreSQL database and the URL of the same database on the replica."""
    primary_url: str = make_postgres_database()
    upgrade(primary_url)
    name = primary_url.rsplit("/", 1)[1]
    replica.wait_for_database(name)
    return primary_url, replica.url(name)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis (shared rate limits); skipped without it, a failure when CI requires it."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"Redis is required here but unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    yield REDIS_URL
    client.close()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head, once per session and engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'waterbill.db'}"
    else:
        url = request.getfixturevalue("make_postgres_database")()  # type: ignore[operator]
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def engine(database_url: str, _engines: dict[str, Engine]) -> Iterator[Engine]:
    """The session's migrated database, emptied after each test."""
    if database_url not in _engines:
        _engines[database_url] = make_engine(database_url, Settings(database_url=database_url))
    engine = _engines[database_url]
    yield engine
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(env="test", database_url=database_url, secret_key="test-secret-key-0123456789")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_skipped:
        terminalreporter.write_sep("!", "PostgreSQL TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            f"PostgreSQL at {ADMIN_URL} did not answer ({_postgres_skipped[0]}). The PostgreSQL "
            "tier did not run; CI requires it (WATERBILL_REQUIRE_POSTGRES=1).",
            red=True,
        )
    if _replica_skipped:
        terminalreporter.write_sep("!", "STREAMING REPLICA TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            f"No streaming replica could run here ({_replica_skipped[0]}). The replica tier did "
            "not run; CI requires it (WATERBILL_REQUIRE_POSTGRES=1).",
            red=True,
        )
