"""How staleness bounds are derived from WAL positions and commit timestamps (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.db.replicas import combined_bound, display_name, lsn_bound, timestamp_bound

PRIMARY_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_a_replica_that_reached_the_newest_sample_is_as_stale_as_the_time_since_it_was_taken() -> (
    None
):
    samples = [(10.0, 100), (10.5, 200), (11.0, 300)]
    assert lsn_bound(replay_lsn=300, samples=samples, now=11.004) == pytest.approx(0.004)


def test_a_replica_beyond_the_newest_sample_is_no_staler_than_that_sample() -> None:
    assert lsn_bound(replay_lsn=350, samples=[(11.0, 300)], now=11.01) == pytest.approx(0.01)


def test_a_replica_behind_the_newest_sample_is_measured_from_the_newest_sample_it_reached() -> None:
    samples = [(10.0, 100), (10.5, 200), (11.0, 300)]
    assert lsn_bound(replay_lsn=250, samples=samples, now=11.01) == pytest.approx(0.51)


def test_a_replica_behind_every_sample_kept_has_no_wal_bound() -> None:
    assert lsn_bound(replay_lsn=50, samples=[(10.0, 100), (10.5, 200)], now=11.0) is None


def test_an_idle_primary_does_not_make_a_caught_up_replica_look_stale() -> None:
    # The last commit was an hour ago: the timestamp bound alone would say an hour.
    hour_old = timestamp_bound(
        primary_now=PRIMARY_NOW,
        replayed_at=PRIMARY_NOW - timedelta(hours=1),
        asked_at=20.0,
        answered_at=20.002,
    )
    wal = lsn_bound(replay_lsn=500, samples=[(20.0, 500)], now=20.002)
    assert hour_old == pytest.approx(3600.002)
    assert combined_bound(wal, hour_old) == pytest.approx(0.002)


def test_a_replica_whose_replay_stopped_is_as_stale_as_its_last_replayed_commit() -> None:
    bound = timestamp_bound(
        primary_now=PRIMARY_NOW,
        replayed_at=PRIMARY_NOW - timedelta(seconds=3),
        asked_at=30.0,
        answered_at=30.01,
    )
    assert bound == pytest.approx(3.01)
    assert combined_bound(None, bound) == pytest.approx(3.01)


def test_a_replica_that_has_replayed_nothing_yet_has_no_timestamp_bound() -> None:
    assert (
        timestamp_bound(primary_now=PRIMARY_NOW, replayed_at=None, asked_at=0, answered_at=1)
        is None
    )
    assert combined_bound(None, None) is None


def test_replica_names_never_carry_the_password() -> None:
    assert display_name("postgresql://app:s3cret@db-replica-2:5433/waterbill") == (
        "db-replica-2:5433/waterbill"
    )


def test_probes_slower_than_the_lag_bound_are_refused() -> None:
    with pytest.raises(ValidationError, match="REPLICA_CHECK_INTERVAL"):
        Settings(replica_max_lag=1.0, replica_check_interval=1.0)


def test_replicas_are_refused_for_a_sqlite_primary(tmp_path: object) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/waterbill.db",
        database_replica_urls="postgresql://replica/waterbill",  # type: ignore[arg-type]
    )
    with pytest.raises(ValueError, match="PostgreSQL primary"):
        Database(settings)
