"""The real web app with the operations area: sessions, CSRF, limits, maintenance, fuzzing.

Each instance is ``create_app`` under uvicorn; sign-in goes through the bundled provider exactly as
a browser would.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.functional.signin import sign_in
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import serve_asgi
from tests.support.network import free_port
from tests.support.openapi_fuzz import REAL_APP_CONFIG, fuzz_every_operation
from waterbill import clock
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.ingest.channels import add_channel
from waterbill.ops.maintenance import announce_maintenance, end_maintenance
from waterbill.web.app import create_app

FIN = "5ZK3LRT"
CODE = "0104410203"
# Per operation and engine: the schema has about twenty operations.
FUZZ_EXAMPLES = 12
ServeWeb = Callable[..., AbstractContextManager[tuple[str, Settings]]]


@pytest.fixture
def serve_web(engine: Engine, database_url: str) -> ServeWeb:
    @contextmanager
    def serve(**overrides: Any) -> Iterator[tuple[str, Settings]]:
        port = free_port()
        values: dict[str, Any] = {
            "env": "development",
            "database_url": database_url,
            "secret_key": "functional-test-secret-0123456789",
            "public_url": f"http://127.0.0.1:{port}",
        }
        values.update(overrides)
        settings = Settings(**values)
        app = create_app(settings)
        try:
            with serve_asgi(app, port=port) as url:
                yield url, settings
        finally:
            app.state.database.dispose()

    return serve


@pytest.fixture
def household(engine: Engine) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db, surname="<script>alert('x')</script>", name='Qorxmaz"><img src=x>')
        add_invoice(db, sid, "2026-10")
        for n in range(3):
            add_subscriber(db, code=f"20000000{n}", holder_fin="7QK2MNP")


@contextmanager
def _signed_in(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as client:
        back = sign_in(client, FIN)
        landed = client.get(back.headers["location"])
        assert landed.status_code == 303
        yield client


@pytest.mark.usefixtures("household")
def test_names_from_the_billing_feed_carrying_markup_are_rendered_escaped(
    serve_web: ServeWeb,
) -> None:
    with serve_web() as (base, _), _signed_in(base) as client:
        page = client.get(f"/statements/{CODE}")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text
    assert "<script>" not in page.text
    assert "<img src=x>" not in page.text
    assert "object-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-request-id"]


@pytest.mark.usefixtures("household")
def test_session_ids_have_at_least_128_bits_and_are_renewed_at_sign_in(
    serve_web: ServeWeb,
) -> None:
    with serve_web() as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        back = sign_in(client, FIN)
        before = client.cookies["waterbill_session"]
        client.get(back.headers["location"])
        after = client.cookies["waterbill_session"]
    assert before != after
    for value in (before, after):
        # URL-safe base64: 6 bits a character.
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value)
        assert len(value) * 6 >= 128


@pytest.mark.usefixtures("household")
def test_a_post_without_the_csrf_token_is_refused_and_sign_out_with_it_ends_the_session(
    serve_web: ServeWeb,
) -> None:
    with serve_web() as (base, _), _signed_in(base) as client:
        refused = client.post("/auth/logout", data={})
        forged = client.post("/auth/logout", data={"csrf_token": "guessed"})
        assert client.get("/statements").status_code == 200
        page = client.get("/statements").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        cookie = client.cookies["waterbill_session"]
        out = client.post("/auth/logout", data={"csrf_token": token.group(1)})
        with httpx.Client(base_url=base, cookies={"waterbill_session": cookie}) as replay:
            after = replay.get("/statements")
    assert refused.status_code == 403
    assert forged.status_code == 403
    assert out.status_code == 303
    assert after.status_code == 303
    assert after.headers["location"].startswith("/auth/login")


@pytest.mark.usefixtures("household")
def test_outside_development_the_session_cookie_is_host_prefixed_secure_httponly_and_lax(
    serve_web: ServeWeb,
) -> None:
    with (
        serve_web() as (provider, _),
        serve_web(env="test", dev_idp=False, oidc_issuer=f"{provider}/dev-idp") as (base, _),
    ):
        response = httpx.get(f"{base}/auth/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-waterbill=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path=/", "samesite=lax"} <= attributes
    assert not any(part.startswith("domain") for part in attributes)
    csp = response.headers["content-security-policy"]
    assert f"form-action 'self' {provider}" in csp


@pytest.mark.usefixtures("household")
def test_maintenance_closes_both_real_instances_with_the_message_and_health_stays_truthful(
    serve_web: ServeWeb, settings: Settings
) -> None:
    database = Database(settings)
    now = clock.now()
    with serve_web() as (first, _), serve_web() as (second, _), _signed_in(first) as client:
        announce_maintenance(
            database=database,
            until=now + timedelta(hours=2),
            message="Sayğac məlumatları <b>yenilənir</b>",
            now=now,
        )
        try:
            answers = {}
            for base in (first, second):
                _wait(lambda b=base: httpx.get(f"{b}/").status_code == 503)
                answers[base] = (
                    client.get(f"{base}/statements/{CODE}"),
                    client.get(f"{base}/api/v1/statements/{CODE}?lang=en"),
                    httpx.get(f"{base}/healthz"),
                    httpx.get(f"{base}/readyz"),
                )
        finally:
            end_maintenance(database=database)
            database.dispose()
        for base in (first, second):
            _wait(lambda b=base: client.get(f"{b}/statements/{CODE}").status_code == 200)
    for page, api, health, ready in answers.values():
        assert page.status_code == 503
        assert "planlı texniki işlər" in page.text
        assert "Sayğac məlumatları &lt;b&gt;yenilənir&lt;/b&gt;" in page.text
        assert page.text.count("<h1>") == 1
        assert int(page.headers["retry-after"]) > 7000
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "maintenance"
        assert "(Baku time)" in api.json()["error"]["message"]
        assert health.status_code == 200
        assert ready.status_code == 200
        assert ready.json()["maintenance_until"] is not None


@pytest.mark.usefixtures("household")
def test_the_distinct_code_limit_is_shared_by_two_real_instances_through_redis(
    serve_web: ServeWeb, redis_url: str
) -> None:
    options = {
        "redis_url": redis_url,
        "rate_limit_codes_per_citizen": 2,
        # A fresh key makes a fresh pseudonymous id: runs sharing the Redis never collide.
        "secret_key": f"functional-test-secret-{uuid.uuid4().hex}",
    }
    with (
        serve_web(**options) as (first, _),
        serve_web(**options) as (second, _),
        _signed_in(first) as client,
    ):
        statuses = [
            client.get(f"{first}/statements/{CODE}").status_code,
            client.get(f"{second}/api/v1/statements/200000000").status_code,
            client.get(f"{second}/statements/{CODE}").status_code,
        ]
        refused_page = client.get(f"{first}/statements/200000001")
        refused_api = client.get(f"{second}/api/v1/statements/200000002?lang=ru")
    assert statuses == [200, 200, 200]
    assert refused_page.status_code == 429
    assert "dəqiqədən sonra yenidən cəhd edin" in refused_page.text
    assert refused_api.status_code == 429
    assert refused_api.json()["error"]["code"] == "rate_limited"
    assert "Повторите попытку" in refused_api.json()["error"]["message"]
    assert 3500 <= int(refused_api.headers["retry-after"]) <= 3600


@pytest.mark.fuzz
@pytest.mark.usefixtures("household")
def test_fuzzing_the_whole_openapi_schema_of_the_real_app_finds_no_5xx_and_no_schema_break(
    serve_web: ServeWeb, engine: Engine
) -> None:
    """Schemathesis with its default checks, as the holder of a household who is also an admin
    (so the staff operations run too) and with a payment channel's key."""
    with engine.begin() as db:
        channel_key = add_channel(db=db, name="kapital-bank")
    with serve_web(rate_limit_ip_requests=100_000, admin_fins=[FIN]) as (base, settings):
        with engine.connect() as db:
            token = access_token(
                settings, claims=citizen_claims(db=db, fin=FIN, method="asan_imza")
            )
        exercised = fuzz_every_operation(
            base,
            headers={"Authorization": f"Bearer {token}", "X-Api-Key": channel_key},
            examples=FUZZ_EXAMPLES,
            config=REAL_APP_CONFIG,
        )
    assert "GET /api/v1/statements/{code}" in exercised
    assert "GET /api/v1/me/accounts" in exercised
    assert "POST /api/v1/payments" in exercised
    assert "POST /api/v1/admin/disputes/{reference}/answer" in exercised


def _wait(check: Callable[[], bool], within: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {within} s")
