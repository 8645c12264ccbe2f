"""Prometheus metrics of one app instance: traffic, statement views, the pool, data freshness."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import anyio
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from waterbill import clock
from waterbill.calendar import BAKU
from waterbill.notifications.repository import outbox_counts
from waterbill.ops import repository
from waterbill.ops.threads import run_ops_check

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
STATEMENT_RESULTS = (
    "shown",
    "unauthenticated",
    "not_household",
    "unknown_code",
    "malformed_code",
    "rate_limited",
    "unavailable",
    "error",
)


class _DatabaseCollector(Collector):
    """Pool use read live; freshness from the last refresh (two cheap MAX queries)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.up: bool | None = None
        self.newest_period: str | None = None
        self.newest_payment: datetime | None = None
        self.outbox: dict[str, int] | None = None
        self.oldest_queued: datetime | None = None

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool
        if isinstance(pool, QueuePool):
            yield GaugeMetricFamily(
                "waterbill_db_pool_size", "Connections the pool keeps open", value=pool.size()
            )
            yield GaugeMetricFamily(
                "waterbill_db_pool_checked_out",
                "Connections in use by requests",
                value=pool.checkedout(),
            )
            yield GaugeMetricFamily(
                "waterbill_db_pool_overflow",
                "Connections open beyond the pool size",
                value=max(pool.overflow(), 0),
            )
        if self.up is not None:
            yield GaugeMetricFamily(
                "waterbill_database_up",
                "1 when the last freshness query reached the database",
                value=int(self.up),
            )
        if self.newest_period is not None:
            year, month = (int(part) for part in self.newest_period.split("-"))
            start = datetime(year, month, 1, tzinfo=BAKU).timestamp()
            yield GaugeMetricFamily(
                "waterbill_newest_invoice_period_timestamp_seconds",
                "Start (Baku time) of the newest billing month with an invoice",
                value=start,
            )
        if self.newest_payment is not None:
            yield GaugeMetricFamily(
                "waterbill_newest_payment_timestamp_seconds",
                "Time of the newest payment received",
                value=self.newest_payment.timestamp(),
            )
        if self.outbox is not None:
            yield from _outbox_metrics(self.outbox, self.oldest_queued)


def _outbox_metrics(counts: dict[str, int], oldest: datetime | None) -> Iterator[Metric]:
    """The notification outbox, as ``waterbill worker`` left it (read from the database)."""
    yield GaugeMetricFamily(
        "waterbill_notifications_queued",
        "Notifications waiting for delivery (queued, or claimed by a worker)",
        value=sum(counts.get(status, 0) for status in ("queued", "claimed", "sending")),
    )
    yield GaugeMetricFamily(
        "waterbill_notifications_sent_last_hour",
        "Notifications delivered in the last hour",
        value=counts.get("sent_last_hour", 0),
    )
    yield GaugeMetricFamily(
        "waterbill_notifications_failed",
        "Notifications dead-lettered after their tries, or uncertain after a worker died mid-send",
        value=counts.get("failed", 0) + counts.get("uncertain", 0),
    )
    age = (clock.now() - oldest).total_seconds() if oldest is not None else 0.0
    yield GaugeMetricFamily(
        "waterbill_notifications_oldest_queued_age_seconds",
        "Age of the oldest notification still waiting (0 when none waits)",
        value=max(age, 0.0),
    )


class Metrics:
    def __init__(self, engine: Engine, *, freshness_ttl: float = 5.0, timeout: float = 1.5) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "waterbill_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "waterbill_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.statement_views = Counter(
            "waterbill_statement_views",
            "Statement lookups by pages and API, by result",
            ["result"],
            registry=self.registry,
        )
        for result in STATEMENT_RESULTS:
            self.statement_views.labels(result=result)
        self.database = _DatabaseCollector(engine)
        self.registry.register(self.database)
        self.engine = engine
        self.freshness_ttl = freshness_ttl
        self.timeout = timeout
        self._refreshed_at = float("-inf")

    def observe_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)

    def count_statement_view(self, result: str) -> None:
        self.statement_views.labels(result=result).inc()

    def _read_freshness(self) -> None:
        try:
            with self.engine.connect() as connection:
                period = repository.newest_invoice_period(connection)
                paid_at = repository.newest_payment_time(connection)
                outbox, oldest = outbox_counts(connection, now=clock.now())
        except SQLAlchemyError:
            self.database.up = False
            return
        self.database.up = True
        self.database.newest_period = period
        self.database.newest_payment = paid_at.astimezone(UTC) if paid_at else None
        self.database.outbox = outbox
        self.database.oldest_queued = oldest

    async def refresh(self) -> None:
        """Re-read freshness at most every few seconds, and never wait long for it."""
        if time.monotonic() - self._refreshed_at < self.freshness_ttl:
            return
        self._refreshed_at = time.monotonic()
        with anyio.move_on_after(self.timeout) as scope:
            await run_ops_check(self._read_freshness)
        if scope.cancelled_caught:
            self.database.up = False
