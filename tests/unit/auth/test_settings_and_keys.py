"""The development provider never runs in production, and its key is the same in every process."""

from __future__ import annotations

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
