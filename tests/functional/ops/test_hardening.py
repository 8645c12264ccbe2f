"""Headers, body limits, rate limits and hostile input against the running app."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.functional.ops.conftest import ServeOps
from tests.support.factories.billing import add_subscriber
from waterbill.billing.tables import subscribers


def test_every_response_carries_the_security_headers_even_a_refusal(ops_url: str) -> None:
    for response in (
        httpx.get(f"{ops_url}/statement/0104410203"),
        httpx.get(f"{ops_url}/no-such-page"),
        httpx.post(f"{ops_url}/api/v1/echo", content=b"x" * 70_000),
    ):
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "object-src 'none'" in csp
        assert "base-uri 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["permissions-policy"]
        assert "strict-transport-security" not in response.headers


def test_production_adds_hsts_and_frames_only_for_the_configured_portal(
    serve_ops: ServeOps,
) -> None:
    with serve_ops(
        env="production",
        portal_origins=["https://www.e-gov.az"],
        form_action_origins=["https://sso.e-gov.az"],
    ) as url:
        response = httpx.get(f"{url}/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors https://www.e-gov.az" in csp
    assert "form-action 'self' https://sso.e-gov.az" in csp


def test_an_oversized_body_is_refused_with_413_whether_announced_or_streamed(
    serve_ops: ServeOps,
) -> None:
    with serve_ops(max_request_bytes=2_048) as url:
        small = httpx.post(f"{url}/api/v1/echo", content=b"x" * 2_000)
        announced = httpx.post(f"{url}/api/v1/echo", content=b"x" * 5_000)

        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                yield b"y" * 1_000

        streamed_known = httpx.post(f"{url}/api/v1/echo", content=chunks())
    assert small.json() == {"received": 2_000}
    assert announced.status_code == 413
    assert "icazə verilən həcmdən böyükdür" in announced.json()["error"]["message"]
    assert streamed_known.status_code == 413
    assert streamed_known.json()["error"]["code"] == "request_too_large"


def test_the_ip_budget_answers_429_with_retry_after_in_the_citizens_language(
    serve_ops: ServeOps,
) -> None:
    with serve_ops(rate_limit_ip_requests=3) as url:
        statuses = [httpx.get(f"{url}/statement/0104410203").status_code for _ in range(3)]
        refused = httpx.get(f"{url}/api/v1/statements/0104410203?lang=en")
        page = httpx.get(f"{url}/statement/0104410203")
        health = httpx.get(f"{url}/healthz")
    assert 429 not in statuses
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"].startswith("Too many requests")
    assert page.status_code == 429
    assert "Qısa müddətdə çox sayda sorğu" in page.text
    assert health.status_code == 200


def test_the_distinct_code_limit_is_shared_through_redis_by_two_app_instances(
    serve_ops: ServeOps, engine: Engine, redis_url: str
) -> None:
    with engine.begin() as db:
        for n in range(3):
            add_subscriber(db, code=f"10000000{n}")
    citizen = {"X-Test-Citizen": f"c_{uuid.uuid4().hex}"}
    options = {"redis_url": redis_url, "rate_limit_codes_per_citizen": 2}
    with serve_ops(**options) as first, serve_ops(**options) as second:
        one = httpx.get(f"{first}/api/v1/statements/100000000", headers=citizen)
        two = httpx.get(f"{second}/api/v1/statements/100000001", headers=citizen)
        again = httpx.get(f"{second}/api/v1/statements/100000000", headers=citizen)
        third = httpx.get(f"{first}/api/v1/statements/100000002", headers=citizen)
        other = httpx.get(
            f"{first}/api/v1/statements/100000002",
            headers={"X-Test-Citizen": "c_other" + citizen["X-Test-Citizen"]},
        )
    assert [one.status_code, two.status_code, again.status_code] == [200, 200, 200]
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"
    assert "dəqiqədən sonra" in third.json()["error"]["message"]
    assert 3500 <= int(third.headers["retry-after"]) <= 3600
    assert other.status_code == 200


@pytest.mark.parametrize(
    "code",
    [
        "0104410203' OR '1'='1",
        "0104410203; DROP TABLE subscribers; --",
        "%27%20OR%201%3D1--",
        "<img src=x onerror=alert(1)>",
        "0104410203%00",
    ],
)
def test_sql_and_markup_metacharacters_in_a_code_are_inert(
    ops_url: str, engine: Engine, code: str
) -> None:
    with engine.begin() as db:
        add_subscriber(db)
    response = httpx.get(f"{ops_url}/api/v1/statements/{code}")
    page = httpx.get(f"{ops_url}/statement/{code}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "malformed_code"
    assert "<img" not in page.text
    with engine.connect() as db:
        assert db.execute(select(func.count()).select_from(subscribers)).scalar_one() == 1


def test_a_bug_stays_a_plain_500_without_a_stack_trace_and_is_not_taken_for_an_outage(
    ops_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="waterbill.access"):
        response = httpx.get(f"{ops_url}/broken", headers={"X-Request-Id": "bug-1"})
        api = httpx.get(f"{ops_url}/api/v1/statements/0104410203")
    assert response.status_code == 500
    assert "Traceback" not in response.text
    assert "a bug" not in response.text
    assert "Bizim tərəfdə xəta baş verdi" in response.text
    assert response.headers["x-request-id"] == "bug-1"
    assert "object-src 'none'" in response.headers["content-security-policy"]
    assert api.status_code == 404
    logged = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert [getattr(r, "request_id", None) for r in logged] == ["bug-1"]
    assert logged[0].exc_info is not None


def test_a_slow_answer_with_the_database_up_is_not_called_an_outage(ops_url: str) -> None:
    response = httpx.get(f"{ops_url}/slow", params={"seconds": 2.2}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"slept": 2.2}
