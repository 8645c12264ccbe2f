"""Streaming replicas: how stale each one is, measured rather than assumed.

How lag is measured
-------------------
``now() - pg_last_xact_replay_timestamp()`` on the replica alone is wrong both ways: on an idle
primary it grows without bound although the replica is perfectly current, and it says nothing about
WAL the replica has not even received. So every probe asks the *primary* first and the replica
second, and derives two upper bounds on staleness (how long ago the oldest commit the replica may
still be missing was made):

1. WAL positions. Just before asking the primary for ``pg_current_wal_lsn()`` we note the time
   ``t``; every commit that completed before ``t`` lies at or below that position. The monitor
   keeps a short history of such ``(t, lsn)`` samples. When the replica's
   ``pg_last_wal_replay_lsn()`` has reached the sample taken at ``t``, it holds every commit made
   before ``t``, so its staleness is at most ``now - t``. On an idle primary a replica that is
   caught up gets a bound of a few milliseconds.
2. Commit timestamps, on the primary's clock only (so skew between hosts does not matter): the
   replica holds every commit up to its last replayed one, stamped ``replayed_at``; the primary's
   clock read ``primary_now`` at ``t``; staleness at the moment the replica answered is at most
   ``(answered - t) + (primary_now - replayed_at)``. This bound is the useful one when the replica
   falls far behind the short WAL history.

The smaller bound is the replica's lag. A read may go to the replica at time ``now`` only while
``lag + (now - answered) <= max_lag``: the replica never goes backwards, so a payment committed on
the primary at ``c`` is visible to every read that starts after ``c + max_lag``. If the monitor
stalls, that condition lapses by itself and reads fall back to the primary.

Each replica has its own monitor thread, so a replica whose host has vanished (a connect that hangs
until its timeout) never delays the others' probes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from waterbill.config import Settings
from waterbill.db.engine import make_engine

ReplicaState = Literal["unknown", "up", "lagging", "down", "not_standby"]

# How long the WAL history reaches back; beyond it the commit-timestamp bound takes over.
_HISTORY = 120
# Probes must never hang on a sick server: each statement gives up after this many milliseconds.
_PROBE_STATEMENT_TIMEOUT_MS = 1000

_PRIMARY_PROBE = text(
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS lsn, clock_timestamp() AS now"
)
# pg_is_wal_replay_paused() raises outside recovery, hence the CASE (volatile, so evaluated lazily).
_REPLICA_PROBE = text(
    "SELECT pg_is_in_recovery() AS in_recovery,"
    " pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS replay_lsn,"
    " pg_last_xact_replay_timestamp() AS replayed_at,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused"
)


def lsn_bound(*, replay_lsn: int, samples: Iterable[tuple[float, int]], now: float) -> float | None:
    """Staleness bound from WAL positions: ``now`` minus the newest sample the replica has reached.

    ``samples`` are ``(monotonic time, primary WAL position)``, oldest first. ``None`` when the
    replica is behind every sample still kept.
    """
    for taken_at, primary_lsn in reversed(list(samples)):
        if replay_lsn >= primary_lsn:
            return max(0.0, now - taken_at)
    return None


def timestamp_bound(
    *, primary_now: datetime, replayed_at: datetime | None, asked_at: float, answered_at: float
) -> float | None:
    """Staleness bound from the last replayed commit's timestamp, on the primary's clock."""
    if replayed_at is None:
        return None
    return max(0.0, (answered_at - asked_at) + (primary_now - replayed_at).total_seconds())


def combined_bound(*bounds: float | None) -> float | None:
    known = [bound for bound in bounds if bound is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica as ``/readyz`` and ``/metrics`` show it (no credentials in ``name``)."""

    name: str
    state: ReplicaState
    eligible: bool
    lag_seconds: float | None
    lag_bytes: int | None
    replay_paused: bool | None
    checked_seconds_ago: float | None
    error: str | None
    reads: int
    failures: int

    def as_dict(self) -> dict[str, Any]:
        """For ``/readyz``: rounded figures, nothing secret."""
        shown = asdict(self)
        for key in ("lag_seconds", "checked_seconds_ago"):
            if shown[key] is not None:
                shown[key] = round(shown[key], 3)
        return shown


class ReplicaCollector(Collector):
    """Prometheus metrics of each replica as this process sees it, read live at scrape time."""

    def __init__(self, statuses: Callable[[], list[ReplicaStatus]]) -> None:
        self.statuses = statuses

    def collect(self) -> Iterator[Metric]:
        labels = ["replica"]
        up = GaugeMetricFamily(
            "waterbill_replica_up", "1 when the replica answers as a standby", labels=labels
        )
        eligible = GaugeMetricFamily(
            "waterbill_replica_eligible",
            "1 when reads go to the replica (answering, lag within the bound)",
            labels=labels,
        )
        lag = GaugeMetricFamily(
            "waterbill_replica_lag_seconds",
            "Upper bound on the replica's staleness at its last probe",
            labels=labels,
        )
        lag_bytes = GaugeMetricFamily(
            "waterbill_replica_lag_bytes",
            "WAL the replica had not replayed at its last probe",
            labels=labels,
        )
        reads = CounterMetricFamily(
            "waterbill_replica_reads", "Reads sent to the replica", labels=labels
        )
        failures = CounterMetricFamily(
            "waterbill_replica_failures",
            "Reads during which the replica failed (repeated elsewhere)",
            labels=labels,
        )
        for status in self.statuses():
            name = [status.name]
            up.add_metric(name, int(status.state in {"up", "lagging"}))
            eligible.add_metric(name, int(status.eligible))
            if status.lag_seconds is not None:
                lag.add_metric(name, status.lag_seconds)
            if status.lag_bytes is not None:
                lag_bytes.add_metric(name, status.lag_bytes)
            reads.add_metric(name, status.reads)
            failures.add_metric(name, status.failures)
        yield from (up, eligible, lag, lag_bytes, reads, failures)


def display_name(url: str) -> str:
    """``host:port/dbname`` — never the password."""
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def probe_engine(
    url: str, settings: Settings, application_name: str, *, pool_size: int = 1
) -> Engine:
    """A small autocommit engine for probes: no snapshot held open, no statement left hanging."""
    timeout = max(1, round(settings.database_connect_timeout))
    return make_engine(
        url,
        settings,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        isolation_level="AUTOCOMMIT",
        connect_args={
            "connect_timeout": timeout,
            "application_name": application_name,
            "options": f"-c statement_timeout={_PROBE_STATEMENT_TIMEOUT_MS}",
            # A host that vanishes without a reset (a cut network) must fail the probe in
            # seconds; the statement timeout cannot, as the server never sees the query.
            "tcp_user_timeout": 3000,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 1,
            "keepalives_count": 2,
        },
    )


class Replica:
    """A replica's engine for reads, its probe, and the state its monitor keeps up to date."""

    def __init__(self, url: str, settings: Settings, primary_probe: Engine) -> None:
        self.name = display_name(url)
        self.engine: Engine = make_engine(url, settings)
        self.max_lag = settings.replica_max_lag
        self.interval = settings.replica_check_interval
        self._probe = probe_engine(url, settings, "waterbill-replica-probe")
        self._primary_probe = primary_probe
        self._samples: deque[tuple[float, int]] = deque(maxlen=_HISTORY)
        self._lock = threading.Lock()
        self._state: ReplicaState = "unknown"
        self._lag: float | None = None
        self._lag_bytes: int | None = None
        self._paused: bool | None = None
        self._checked_at: float | None = None
        self._error: str | None = None
        self._reads = 0
        self._failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- routing -------------------------------------------------------------------------------

    def eligible(self, now: float | None = None) -> bool:
        """May a read go here now? Only while the last measured lag still holds within the bound."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return self._eligible(now)

    def _eligible(self, now: float) -> bool:
        if self._state != "up" or self._lag is None or self._checked_at is None:
            return False
        return self._lag + (now - self._checked_at) <= self.max_lag

    def served_read(self) -> None:
        with self._lock:
            self._reads += 1

    def mark_down(self, error: BaseException) -> None:
        """A request met this replica broken: stop sending reads until a probe succeeds again."""
        with self._lock:
            self._state = "down"
            self._error = _describe(error)
            self._failures += 1

    # -- monitoring ----------------------------------------------------------------------------

    def check(self) -> None:
        """One probe: the primary's position first, then the replica's; updates the state."""
        try:
            asked_at = time.monotonic()
            with self._primary_probe.connect() as connection:
                primary = connection.execute(_PRIMARY_PROBE).one()
        except DBAPIError as error:
            # Without the primary's position the lag cannot be known, so the replica is not used.
            self._record(state="unknown", error=f"primary: {_describe(error)}")
            return
        self._samples.append((asked_at, int(primary.lsn)))
        try:
            with self._probe.connect() as connection:
                replica = connection.execute(_REPLICA_PROBE).one()
            answered_at = time.monotonic()
        except DBAPIError as error:
            self._record(state="down", error=_describe(error))
            return
        if not replica.in_recovery:
            self._record(state="not_standby", error="the server is not in recovery")
            return
        replay_lsn = int(replica.replay_lsn)
        lag = combined_bound(
            lsn_bound(replay_lsn=replay_lsn, samples=self._samples, now=answered_at),
            timestamp_bound(
                primary_now=primary.now,
                replayed_at=replica.replayed_at,
                asked_at=asked_at,
                answered_at=answered_at,
            ),
        )
        within = lag is not None and lag <= self.max_lag
        self._record(
            state="up" if within else "lagging",
            lag=lag,
            lag_bytes=max(0, int(primary.lsn) - replay_lsn),
            paused=bool(replica.paused),
            checked_at=answered_at,
        )

    def _record(
        self,
        *,
        state: ReplicaState,
        lag: float | None = None,
        lag_bytes: int | None = None,
        paused: bool | None = None,
        checked_at: float | None = None,
        error: str | None = None,
    ) -> None:
        with self._lock:
            self._state = state
            self._lag = lag
            self._lag_bytes = lag_bytes
            self._paused = paused
            self._checked_at = checked_at if checked_at is not None else time.monotonic()
            self._error = error

    def status(self) -> ReplicaStatus:
        now = time.monotonic()
        with self._lock:
            return ReplicaStatus(
                name=self.name,
                state=self._state,
                eligible=self._eligible(now),
                lag_seconds=self._lag,
                lag_bytes=self._lag_bytes,
                replay_paused=self._paused,
                checked_seconds_ago=None if self._checked_at is None else now - self._checked_at,
                error=self._error,
                reads=self._reads,
                failures=self._failures,
            )

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"replica-monitor {self.name}", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.check()
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 2 * _PROBE_STATEMENT_TIMEOUT_MS / 1000 + 5)
            self._thread = None

    def dispose(self) -> None:
        self.stop()
        self._probe.dispose()
        self.engine.dispose()


def _describe(error: BaseException) -> str:
    """A short, credential-free description: the driver's error class and first line."""
    original = getattr(error, "orig", None) or error
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{original.__class__.__name__}: {first_line}"[:200]


def in_turn(replicas: Sequence[Replica], start: int) -> Iterator[Replica]:
    """The replicas in round-robin order starting at ``start``, eligible ones only."""
    count = len(replicas)
    now = time.monotonic()
    for offset in range(count):
        replica = replicas[(start + offset) % count]
        if replica.eligible(now):
            yield replica
