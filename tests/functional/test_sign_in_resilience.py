"""The e-gov sign-in down, slow or misconfigured: a clear 503, logged once, back with the provider.

The relying party under test is the real app with the bundled provider off; the provider is the
bundled one served by another instance on a real port, reached directly, through a TCP proxy that
stalls, or not at all (a closed port).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner, Result

from tests.functional.signin import bearer
from tests.support.live_server import LiveServer, serve, serve_asgi
from tests.support.network import free_port
from tests.support.tcp_proxy import TcpProxy
from waterbill.cli import main
from waterbill.config import Settings, get_settings
from waterbill.web.app import create_app

TIMEOUT = 0.5
UNAVAILABLE = {
    "az": "e-gov portalı ilə giriş hazırda mümkün deyil",
    "en": "The e-gov sign-in is unavailable right now",
    "ru": "Вход через портал e-gov сейчас недоступен",
}


@contextmanager
def relying_party(provider: LiveServer, issuer: str, **overrides: Any) -> Iterator[LiveServer]:
    """The app as a production relying party of ``issuer`` (no bundled provider of its own)."""
    settings = provider.settings
    with serve(
        settings.database_url,
        provider.engine,
        dev_idp=False,
        oidc_issuer=issuer,
        oidc_timeout=TIMEOUT,
        **overrides,
    ) as server:
        yield server


@contextmanager
def provider_on(port: int, database_url: str) -> Iterator[str]:
    """The bundled provider served on a given port, as a provider coming back would be."""
    settings = Settings(
        env="development",
        database_url=database_url,
        secret_key="functional-test-secret-0123456789",
        public_url=f"http://127.0.0.1:{port}",
    )
    app = create_app(settings)
    try:
        with serve_asgi(app, port=port) as url:
            yield url
    finally:
        app.state.database.dispose()


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, follow_redirects=False)


def _outage_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "e-gov sign-in unavailable" in r.getMessage()]


def test_a_provider_on_a_closed_port_gets_a_503_page_in_each_language_logged_once_then_returns(
    sqlite_live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    with (
        relying_party(sqlite_live_server, f"http://127.0.0.1:{port}/dev-idp") as rp,
        _client(rp) as client,
        caplog.at_level(logging.DEBUG, logger="waterbill.auth.oidc"),
    ):
        for locale, text in UNAVAILABLE.items():
            page = client.get("/auth/login", params={"next": "/statements", "lang": locale})
            assert page.status_code == 503
            assert page.headers["retry-after"] == "30"
            assert page.headers["cache-control"] == "no-store"
            assert text in page.text
            assert 'href="/auth/login"' in page.text
        assert "Traceback" not in caplog.text
        outage = [r for r in _outage_records(caplog) if r.levelno >= logging.WARNING]
        assert len(outage) == 1, "logged once, not once per citizen"
        assert f"127.0.0.1:{port}" in outage[0].getMessage()
        assert "ConnectError" in outage[0].getMessage()

        with provider_on(port, sqlite_live_server.settings.database_url):
            back = client.get("/auth/login")
        assert back.status_code == 303, "the failure was not remembered"
        assert back.headers["location"].startswith(f"http://127.0.0.1:{port}/dev-idp/authorize?")
        assert "available again" in caplog.text


def test_a_provider_that_stalls_answers_503_within_the_timeout(
    sqlite_live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    target = urlsplit(sqlite_live_server.url)
    with TcpProxy(target.hostname or "", target.port or 0) as proxy:
        proxy.cut("blackhole")
        issuer = f"http://127.0.0.1:{proxy.port}/dev-idp"
        with relying_party(sqlite_live_server, issuer) as rp, _client(rp) as client:
            started = time.monotonic()
            page = client.get("/auth/login", params={"lang": "en"})
            took = time.monotonic() - started
        proxy.restore()
    assert page.status_code == 503
    assert UNAVAILABLE["en"] in page.text
    assert took < TIMEOUT + 1.5
    assert "no answer from" in _outage_records(caplog)[0].getMessage()


def test_a_wrong_discovery_path_is_a_503_naming_the_404_in_the_log(
    sqlite_live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    issuer = f"{sqlite_live_server.url}/no-such-idp"
    with relying_party(sqlite_live_server, issuer) as rp, _client(rp) as client:
        page = client.get("/auth/login", params={"lang": "ru"})
        api = client.get("/api/v1/me/accounts", headers=bearer(rp.settings, "5ZK3LRT"))
    assert page.status_code == 503
    assert UNAVAILABLE["ru"] in page.text
    assert "answered HTTP 404" in _outage_records(caplog)[0].getMessage()
    # A bearer token cannot be checked without the provider's keys: unavailable, not "invalid".
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "sign_in_unavailable"


def test_the_providers_invalid_client_at_the_token_endpoint_reaches_the_log(
    sqlite_live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    issuer = sqlite_live_server.settings.issuer
    with (
        relying_party(
            sqlite_live_server, issuer, oidc_client_secret="not-the-registered-one"
        ) as rp,
        _client(rp) as client,
    ):
        login = client.get("/auth/login")
        assert login.status_code == 303
        state = parse_qs(urlsplit(login.headers["location"]).query)["state"][0]
        answer = client.get("/auth/callback", params={"state": state, "code": "any-code"})
    assert answer.status_code == 503
    logged = _outage_records(caplog)[0].getMessage()
    assert "invalid_client" in logged
    assert "client authentication failed" in logged  # the provider's own description
    assert "misconfigured" in logged


def _run(*args: str, issuer: str) -> Result:
    environment = {
        "WATERBILL_ENV": "development",
        "WATERBILL_DEV_IDP": "false",
        "WATERBILL_OIDC_ISSUER": issuer,
        "WATERBILL_OIDC_TIMEOUT": str(TIMEOUT),
        "WATERBILL_PUBLIC_URL": "https://su.example.az",
    }
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args), env=environment)
    finally:
        get_settings.cache_clear()


def test_waterbill_check_names_an_issuer_mismatch_and_serve_refuses_to_start(
    sqlite_live_server: LiveServer,
) -> None:
    # The same server under another name: its discovery document names 127.0.0.1, not localhost.
    issuer = sqlite_live_server.settings.issuer.replace("127.0.0.1", "localhost")
    checked = _run("check", issuer=issuer)
    assert checked.exit_code == 1
    assert "issuer mismatch" in checked.output
    assert sqlite_live_server.settings.issuer in checked.output
    slashed = _run("check", issuer=f"{sqlite_live_server.settings.issuer}/")
    assert slashed.exit_code == 1
    assert f"WATERBILL_OIDC_ISSUER is '{sqlite_live_server.settings.issuer}/'" in slashed.output
    served = _run("serve", "--port", str(free_port()), issuer=issuer)
    assert served.exit_code == 1
    assert "misconfigured" in served.output


def test_waterbill_check_passes_on_a_working_provider_and_names_what_to_register(
    sqlite_live_server: LiveServer,
) -> None:
    checked = _run("check", issuer=sqlite_live_server.settings.issuer)
    assert checked.exit_code == 0, checked.output
    assert "redirect URI to register: https://su.example.az/auth/callback" in checked.output
    assert "sign-out also ends the provider's session: https://su.example.az/" in checked.output


def test_waterbill_check_fails_on_a_closed_port_and_on_a_wrong_path(
    sqlite_live_server: LiveServer,
) -> None:
    closed = _run("check", issuer=f"http://127.0.0.1:{free_port()}/idp")
    assert closed.exit_code == 1
    assert "cannot reach" in closed.output
    wrong = _run("check", issuer=f"{sqlite_live_server.url}/idp")
    assert wrong.exit_code == 1
    assert f"{sqlite_live_server.url}/idp/.well-known/openid-configuration" in wrong.output
    assert "answered HTTP 404" in wrong.output
