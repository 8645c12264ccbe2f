"""Reads on a real streaming replica, writes on the primary, and what happens when it fails.

Every test here runs against the session's streaming replica (tests/support/replica.py). A test
that stops or pauses it puts it back before it ends, so the order of tests does not matter.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Connection, delete, text
from sqlalchemy.exc import OperationalError

from tests.support.factories.billing import add_payment, add_subscriber
from tests.support.replica import StreamingReplica
from waterbill.config import Settings
from waterbill.db.database import Database, ReplicaFailed
from waterbill.db.replicas import ReplicaCollector
from waterbill.db.schema import metadata
from waterbill.statement.service import get_statement

pytestmark = pytest.mark.postgres

MAX_LAG = 1.0
IN_RECOVERY = text("SELECT pg_is_in_recovery()")


def wait_until(condition: Callable[[], bool], timeout: float = 15, what: str = "") -> float:
    """Seconds it took for ``condition`` to hold; fails the test after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def served_by_replica(database: Database) -> bool:
    return bool(database.run_read(lambda connection: connection.scalar(IN_RECOVERY)))


@pytest.fixture
def settings_for(replicated_database: tuple[str, str]) -> Callable[..., Settings]:
    primary_url, replica_url = replicated_database

    def build(*replica_urls: str, **overrides: object) -> Settings:
        return Settings(
            env="test",
            database_url=primary_url,
            database_replica_urls=list(replica_urls or [replica_url]),
            replica_max_lag=MAX_LAG,
            # Probes more often than the default 0.5 s leave more of the bound for a loaded machine.
            replica_check_interval=0.2,
            secret_key="test-secret-key-0123456789",
            **overrides,
        )

    return build


@pytest.fixture
def database(
    settings_for: Callable[..., Settings], replica: StreamingReplica
) -> Iterator[Database]:
    """A Database routed to the session's replica, once that replica is known to be healthy."""
    if not replica.is_running():
        replica.start()
    database = Database(settings_for())
    wait_until(lambda: database.replica_status()[0].eligible, what="the replica becomes eligible")
    yield database
    with database.write() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
    database.dispose()


@pytest.fixture
def restore_replica(replica: StreamingReplica) -> Iterator[StreamingReplica]:
    """The replica, put back running and replaying whatever the test did to it."""
    yield replica
    if not replica.is_running():
        replica.start()
    else:
        replica.resume_replay()


def test_reads_are_served_by_the_replica_and_writes_by_the_primary(database: Database) -> None:
    with database.read() as connection:
        assert connection.scalar(IN_RECOVERY) is True
    assert served_by_replica(database)
    with database.write() as connection:
        assert connection.scalar(IN_RECOVERY) is False
    with database.read(primary=True) as connection:
        assert connection.scalar(IN_RECOVERY) is False


def test_the_replica_status_shows_it_up_with_a_measured_lag_and_no_credentials(
    database: Database, replica: StreamingReplica, replicated_database: tuple[str, str]
) -> None:
    [status] = database.replica_status()
    assert status.state == "up"
    assert status.eligible
    assert status.lag_seconds is not None
    assert 0 <= status.lag_seconds <= MAX_LAG
    assert status.lag_bytes is not None
    assert status.replay_paused is False
    assert status.name == f"127.0.0.1:{replica.port}/{replicated_database[1].rsplit('/', 1)[1]}"
    assert status.as_dict()["state"] == "up"


def test_the_metrics_show_each_replica_eligible_with_its_lag(database: Database) -> None:
    registry = CollectorRegistry()
    registry.register(ReplicaCollector(database.replica_status))
    name = database.replica_status()[0].name
    labels = {"replica": name}
    assert registry.get_sample_value("waterbill_replica_up", labels) == 1
    assert registry.get_sample_value("waterbill_replica_eligible", labels) == 1
    lag = registry.get_sample_value("waterbill_replica_lag_seconds", labels)
    assert lag is not None
    assert 0 <= lag <= MAX_LAG
    served_by_replica(database)
    reads = registry.get_sample_value("waterbill_replica_reads_total", labels)
    assert reads is not None
    assert reads >= 1


def test_a_payment_on_the_primary_is_on_the_statement_read_through_the_replica_within_the_bound(
    database: Database,
) -> None:
    with database.write() as connection:
        subscriber_id = add_subscriber(connection)
    wait_until(lambda: database.run_read(_subscriber_exists), what="the subscriber on the replica")
    delays: list[float] = []
    on_replica: list[float] = []
    for number in range(1, 31):
        with database.write() as connection:
            add_payment(
                connection,
                subscriber_id,
                datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
                "1.00",
                payment_id=f"P-{number}",
            )
        committed = time.monotonic()
        seen_on_replica = False

        def paid(expected: Decimal = Decimal(number)) -> bool:
            nonlocal seen_on_replica
            reads_before = database.replica_status()[0].reads
            statement = database.run_read(
                lambda connection: get_statement(
                    db=connection, code="0104410203", as_of=datetime(2026, 11, 26, tzinfo=UTC)
                )
            )
            seen_on_replica = database.replica_status()[0].reads > reads_before
            return statement.totals.paid == expected

        wait_until(paid, timeout=MAX_LAG * 5, what=f"payment {number} on the statement")
        delays.append(time.monotonic() - committed)
        if seen_on_replica:
            on_replica.append(delays[-1])

    assert on_replica, "the replica served statements"
    print(  # the measured figure the deployment guide quotes
        f"\npayment on the statement after: median {statistics.median(delays) * 1000:.1f} ms, "
        f"max {max(delays) * 1000:.1f} ms; {len(on_replica)} of {len(delays)} first seen on the "
        f"replica, there max {max(on_replica) * 1000:.1f} ms (bound {MAX_LAG * 1000:.0f} ms)"
    )
    assert max(delays) <= MAX_LAG


def test_a_replica_that_stops_mid_traffic_is_skipped_without_an_error_and_used_again_once_back(
    database: Database, restore_replica: StreamingReplica
) -> None:
    seen: list[tuple[float, bool]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                seen.append((time.monotonic(), served_by_replica(database)))
            except BaseException as error:  # any error at all would reach a citizen
                errors.append(error)
            time.sleep(0.005)

    workers = [threading.Thread(target=traffic) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        restore_replica.stop(mode="fast")  # cuts every connection, like a crash, restarts faster
        stopped = time.monotonic()
        wait_until(
            lambda: any(at > stopped and not replica for at, replica in seen[-10:]),
            what="reads fall back to the primary",
        )
        time.sleep(0.5)
        restore_replica.start()
        restarted = time.monotonic()
        wait_until(
            lambda: any(at > restarted and replica for at, replica in seen[-10:]),
            what="reads return to the restarted replica",
        )
    finally:
        stop.set()
        for worker in workers:
            worker.join()

    assert errors == []
    assert any(replica for at, replica in seen if at < stopped)
    assert any(not replica for at, replica in seen if stopped < at < restarted)


def test_a_read_cut_off_on_the_replica_is_answered_by_the_primary(
    database: Database, replica: StreamingReplica
) -> None:
    def slow_read(connection: Connection) -> bool:
        return bool(connection.scalar(text("SELECT pg_is_in_recovery() FROM pg_sleep(0.5)")))

    results: list[bool] = []
    reader = threading.Thread(target=lambda: results.append(database.run_read(slow_read)))
    reader.start()
    wait_until(lambda: _sleeping_backends(replica) == 1, what="the read running on the replica")
    replica.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%FROM pg_sleep%'"
        " AND pid <> pg_backend_pid()"
    )
    reader.join()

    assert results == [False], "answered by the primary after the replica cut the read off"
    assert database.replica_status()[0].failures == 1


def test_a_read_that_times_out_on_the_replica_is_neither_repeated_nor_blamed_on_the_replica(
    database: Database,
) -> None:
    def too_slow(connection: Connection) -> object:
        connection.execute(text("SET statement_timeout = 50"))
        return connection.scalar(text("SELECT pg_is_in_recovery() FROM pg_sleep(0.3)"))

    with pytest.raises(OperationalError, match="statement timeout"):
        database.run_read(too_slow)
    [status] = database.replica_status()
    assert status.failures == 0
    assert status.eligible


def _sleeping_backends(replica: StreamingReplica) -> int:
    with psycopg.connect(replica.url("postgres"), autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%FROM pg_sleep%%'"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_replica_connection_cut_inside_a_read_block_marks_it_down_and_asks_for_a_repeat(
    database: Database, replica: StreamingReplica
) -> None:
    def read_while_the_connection_is_cut() -> None:
        with database.read() as connection:
            backend = connection.scalar(text("SELECT pg_backend_pid()"))
            replica.execute(f"SELECT pg_terminate_backend({int(backend)})")
            connection.scalar(IN_RECOVERY)

    with pytest.raises(ReplicaFailed):
        read_while_the_connection_is_cut()
    assert database.replica_status()[0].failures == 1
    with database.read() as connection:
        assert connection.scalar(text("SELECT 1")) == 1


def test_a_paused_replica_is_used_only_within_the_bound_then_skipped_then_taken_back(
    database: Database, restore_replica: StreamingReplica
) -> None:
    with database.write() as connection:
        subscriber_id = add_subscriber(connection)
    wait_until(lambda: database.run_read(_subscriber_exists), what="the subscriber on the replica")
    restore_replica.pause_replay()
    with database.write() as connection:
        add_payment(connection, subscriber_id, datetime(2026, 11, 20, tzinfo=UTC), "5.00")
    committed = time.monotonic()

    reads: list[tuple[float, bool, bool]] = []  # (started, on the replica, payment visible)

    def read() -> tuple[bool, bool]:
        with database.read() as connection:
            on_replica = bool(connection.scalar(IN_RECOVERY))
            visible = bool(connection.scalar(text("SELECT count(*) FROM payments")))
        return on_replica, visible

    while time.monotonic() - committed < MAX_LAG + 1.5:
        started = time.monotonic()
        reads.append((started, *read()))
        time.sleep(0.01)

    stale = [started - committed for started, _, visible in reads if not visible]
    assert stale, "the paused replica served reads while it was still within the bound"
    assert max(stale) <= MAX_LAG, "no read started after the bound missed the payment"
    assert not reads[-1][1], "the lagging replica is skipped"
    [status] = database.replica_status()
    assert status.state == "lagging"
    assert status.replay_paused is True
    assert status.lag_seconds is not None
    assert status.lag_seconds > MAX_LAG

    restore_replica.resume_replay()
    wait_until(lambda: served_by_replica(database), what="the replica is taken back")
    assert database.replica_status()[0].state == "up"


def _subscriber_exists(connection: Connection) -> bool:
    return bool(connection.scalar(text("SELECT count(*) FROM subscribers")))


def test_a_server_that_is_not_in_recovery_is_never_taken_for_a_replica(
    settings_for: Callable[..., Settings], replicated_database: tuple[str, str]
) -> None:
    primary_url, _ = replicated_database
    database = Database(settings_for(primary_url))
    try:
        wait_until(lambda: database.replica_status()[0].state != "unknown", what="a first probe")
        [status] = database.replica_status()
        assert status.state == "not_standby"
        assert not status.eligible
    finally:
        database.dispose()


def test_a_replica_that_never_answers_leaves_reads_on_the_primary_without_an_error(
    settings_for: Callable[..., Settings],
) -> None:
    database = Database(settings_for("postgresql://postgres@127.0.0.1:9/nothing"))
    try:
        assert not served_by_replica(database)
        wait_until(lambda: database.replica_status()[0].state == "down", what="a failed probe")
        with database.read() as connection:
            assert connection.scalar(IN_RECOVERY) is False
        registry = CollectorRegistry()
        registry.register(ReplicaCollector(database.replica_status))
        labels = {"replica": "127.0.0.1:9/nothing"}
        assert registry.get_sample_value("waterbill_replica_up", labels) == 0
        assert registry.get_sample_value("waterbill_replica_eligible", labels) == 0
        assert registry.get_sample_value("waterbill_replica_lag_seconds", labels) is None
    finally:
        database.dispose()
