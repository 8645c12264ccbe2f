"""What the relying party says about a provider's answers, for the deployer reading the log."""

from __future__ import annotations

import pytest

from waterbill.auth.errors import SignInFailed
from waterbill.auth.oidc import citizen_from_claims, discovery_problems
from waterbill.config import Settings

ISSUER = "https://sso.example.az"
GOOD = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/authorize",
    "token_endpoint": f"{ISSUER}/token",
    "jwks_uri": f"{ISSUER}/jwks",
    "id_token_signing_alg_values_supported": ["RS256"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
}


def test_a_discovery_document_as_expected_has_no_problem() -> None:
    assert discovery_problems(GOOD, issuer=ISSUER) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"issuer": f"{ISSUER}/"}, "issuer mismatch"),
        ({"token_endpoint": None}, "no token_endpoint"),
        ({"id_token_signing_alg_values_supported": ["HS256"]}, "accepted: RS256, ES256"),
        ({"token_endpoint_auth_methods_supported": ["private_key_jwt"]}, "client_secret_basic"),
    ],
)
def test_a_discovery_document_that_cannot_work_is_named(
    change: dict[str, object], named: str
) -> None:
    document = {name: value for name, value in {**GOOD, **change}.items() if value is not None}
    assert named in "; ".join(discovery_problems(document, issuer=ISSUER))


@pytest.mark.parametrize("amr", [None, [], ["otp"]])
def test_an_id_token_without_a_permitted_amr_is_refused_naming_what_was_sent(
    amr: list[str] | None,
) -> None:
    claims = {"sub": "5ZK3LRT", "fin": "5ZK3LRT", **({"amr": amr} if amr is not None else {})}
    with pytest.raises(SignInFailed) as refusal:
        citizen_from_claims(claims, Settings(env="development"), error=SignInFailed)
    assert refusal.value.params["reason"] == "auth_method_not_allowed"
    assert refusal.value.params["detail"].startswith(f"amr {amr or []}; accepted: sc, hwk")
