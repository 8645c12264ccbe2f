"""The development provider never runs in production, and its key is the same in every process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from waterbill.auth.devidp.keys import signing_key
from waterbill.config import Settings


def test_the_bundled_provider_is_refused_in_production() -> None:
    settings = Settings(env="production", secret_key="a-real-secret-4f9c2e7a1b", dev_idp=True)
    with pytest.raises(ValueError, match="development identity provider"):
        settings.check_secrets()


def test_production_needs_an_issuer() -> None:
    settings = Settings(env="production", secret_key="a-real-secret-4f9c2e7a1b")
    with pytest.raises(ValueError, match="WATERBILL_OIDC_ISSUER"):
        settings.check_secrets()


def test_development_defaults_to_the_bundled_provider_of_the_same_app() -> None:
    settings = Settings(env="development", public_url="http://127.0.0.1:9000/")
    assert settings.dev_idp_enabled
    assert settings.issuer == "http://127.0.0.1:9000/dev-idp"


def test_the_provider_key_is_derived_from_the_secret_key() -> None:
    first = signing_key(b"one secret").as_dict(private=False)
    again = signing_key(b"one secret").as_dict(private=False)
    other = signing_key(b"another secret").as_dict(private=False)
    assert first == again
    assert first["x"] != other["x"]
    assert "d" not in first


def test_the_app_refuses_to_start_with_the_bundled_provider_in_production() -> None:
    from waterbill.web.app import create_app

    settings = Settings(
        env="production",
        secret_key="a-real-secret-4f9c2e7a1b",
        dev_idp=True,
        oidc_issuer="https://sso.example.az",
    )
    with pytest.raises(ValueError, match="may only run with WATERBILL_ENV=development"):
        create_app(settings)


def test_the_production_app_has_no_development_provider_routes() -> None:
    from waterbill.web.app import create_app

    app = create_app(
        Settings(
            env="production",
            secret_key="a-real-secret-4f9c2e7a1b",
            oidc_issuer="https://sso.example.az",
            database_url="sqlite://",
        )
    )

    async def statuses() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            paths = ("/dev-idp/.well-known/openid-configuration", "/dev-idp/jwks", "/")
            return [(await client.get(path)).status_code for path in paths]

    assert asyncio.run(statuses()) == [404, 404, 200]


def test_the_session_cookie_has_the_host_prefix_outside_development() -> None:
    from waterbill.web.deps import session_cookie_name

    assert session_cookie_name(Settings(env="production")) == "__Host-waterbill"
    # Browsers refuse a __Host- cookie without Secure, and development is served over http.
    assert session_cookie_name(Settings(env="development")) == "waterbill_session"
