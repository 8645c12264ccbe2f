"""Health, readiness, metrics, request ids and JSON logs, over real HTTP."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from tests.functional.ops.conftest import ServeOps
from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from waterbill.db.migrate import head_revision, upgrade
from waterbill.ops.logs import JsonFormatter


def test_healthz_says_alive_and_readyz_sees_the_database_at_the_newest_migration(
    ops_url: str,
) -> None:
    assert httpx.get(f"{ops_url}/healthz").json() == {"status": "alive"}
    ready = httpx.get(f"{ops_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["revision"] == head_revision()
    assert ready.json()["maintenance_until"] is None


def test_readyz_refuses_traffic_while_migrations_are_behind(
    serve_ops: ServeOps, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    with serve_ops(database_url=url) as base:
        ready = httpx.get(f"{base}/readyz")
        assert httpx.get(f"{base}/healthz").status_code == 200
    assert ready.status_code == 503
    assert ready.json()["migrations"] == "behind"
    assert ready.json()["database"] == "ok"


def test_metrics_count_requests_by_route_template_and_statement_views_by_result(
    ops_url: str, engine: Engine
) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        add_invoice(db, sid, "2026-10", "water")
        add_payment(db, sid, datetime(2026, 11, 20, 8, 30, tzinfo=UTC), "4.90")
    assert httpx.get(f"{ops_url}/api/v1/statements/0104410203").status_code == 200
    assert httpx.get(f"{ops_url}/api/v1/statements/9999999").status_code == 404

    text = httpx.get(f"{ops_url}/metrics").text
    samples = _samples(text)

    route = "/api/v1/statements/{code}"
    assert samples["waterbill_http_requests_total", ("GET", route, "200")] == 1
    assert samples["waterbill_http_requests_total", ("GET", route, "404")] == 1
    assert "0104410203" not in text
    assert samples["waterbill_statement_views_total", ("shown",)] == 1
    assert samples["waterbill_statement_views_total", ("unknown_code",)] == 1
    assert samples["waterbill_http_request_duration_seconds_count", ("GET", route)] == 2
    assert samples["waterbill_database_up", ()] == 1
    october_in_baku = datetime(2026, 9, 30, 20, 0, tzinfo=UTC).timestamp()
    assert samples["waterbill_newest_invoice_period_timestamp_seconds", ()] == october_in_baku
    paid = datetime(2026, 11, 20, 8, 30, tzinfo=UTC).timestamp()
    assert samples["waterbill_newest_payment_timestamp_seconds", ()] == paid
    assert ("waterbill_db_pool_checked_out", ()) in samples or engine.dialect.name == "sqlite"


def _samples(text: str) -> dict[tuple[str, tuple[str, ...]], float]:
    return {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_request_id_is_returned_kept_from_the_caller_and_written_in_the_json_access_log(
    ops_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="waterbill.access"):
        given = httpx.get(f"{ops_url}/statement/0104410203", headers={"X-Request-Id": "egov-42"})
        made = httpx.get(f"{ops_url}/healthz")
        # The access line is written just after the answer has gone out.
        deadline = time.monotonic() + 2
        while len(_access_lines(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert given.headers["x-request-id"] == "egov-42"
    assert len(made.headers["x-request-id"]) == 32

    by_id = {line.get("request_id"): line for line in _access_lines(caplog)}
    entry = by_id["egov-42"]
    assert entry["route"] == "/statement/{code}"
    assert entry["status"] == 404
    assert entry["method"] == "GET"
    assert by_id[made.headers["x-request-id"]]["route"] == "/healthz"


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "waterbill.access"
    ]
