"""The relying party accepts only ID tokens and bearer tokens that pass every check.

Tokens are checked against the live bundled provider's JWKS, fetched over HTTP; each test changes
one thing of an otherwise valid token, and a control test shows the valid token is accepted.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.support.factories.billing import add_subscriber
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.auth.devidp.keys import signing_key
from waterbill.auth.errors import SignInFailed, Unauthenticated
from waterbill.auth.oidc import Provider, citizen_from_claims

FIN = "5ZK3LRT"
NONCE = "nonce-of-this-sign-in"


def _token(
    server: LiveServer, *, key: ECKey | None = None, typ: str = "JWT", **changes: Any
) -> str:
    settings = server.settings
    own_key = signing_key(settings.secret_bytes)
    now = int(clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.oidc_client_id,
        "sub": FIN,
        "fin": FIN,
        "family_name": "Hüseynov",
        "given_name": "Qorxmaz",
        "amr": ["sc"],
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    signer = key or own_key
    return jwt.encode({"alg": "ES256", "kid": own_key.kid, "typ": typ}, claims, signer)


def _access_token(server: LiveServer, **changes: Any) -> str:
    return _token(server, typ="at+jwt", nonce=None, **changes)


def test_a_valid_id_token_is_accepted(sqlite_live_server: LiveServer) -> None:
    citizen = Provider(sqlite_live_server.settings).verify_id_token(
        _token(sqlite_live_server), nonce=NONCE
    )
    assert citizen["fin"] == FIN


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "http://127.0.0.1:1/another-idp"}, "wrong issuer"),
        ({"iss": "TRAILING_SLASH"}, "issuer differing by a trailing slash"),
        ({"aud": "another-client"}, "wrong audience"),
        ({"aud": None}, "no audience"),
        ({"nonce": "nonce-of-an-earlier-sign-in"}, "replayed nonce"),
        ({"nonce": None}, "missing nonce"),
        ({"exp": int(clock.now().timestamp()) - 60}, "expired"),
        ({"exp": None}, "no expiry"),
    ],
)
def test_an_id_token_is_refused_for(
    sqlite_live_server: LiveServer, change: dict[str, Any], reason: str
) -> None:
    if change.get("iss") == "TRAILING_SLASH":
        change = {"iss": sqlite_live_server.settings.issuer + "/"}
    token = _token(sqlite_live_server, **change)
    with pytest.raises(SignInFailed):
        Provider(sqlite_live_server.settings).verify_id_token(token, nonce=NONCE)


def test_an_id_token_signed_by_another_key_is_refused(sqlite_live_server: LiveServer) -> None:
    impostor = ECKey.generate_key("P-256")
    with pytest.raises(SignInFailed, match="sign_in_failed") as refusal:
        Provider(sqlite_live_server.settings).verify_id_token(
            _token(sqlite_live_server, key=impostor), nonce=NONCE
        )
    assert refusal.value.params["reason"] == "bad_signature"


def test_an_unsigned_id_token_is_refused(sqlite_live_server: LiveServer) -> None:
    signed = _token(sqlite_live_server)
    header, payload, _ = signed.split(".")
    unsigned = f"eyJhbGciOiJub25lIn0.{payload}."
    assert header != "eyJhbGciOiJub25lIn0"
    with pytest.raises(SignInFailed):
        Provider(sqlite_live_server.settings).verify_id_token(unsigned, nonce=NONCE)


def test_an_id_token_without_a_permitted_sign_in_method_is_refused(
    sqlite_live_server: LiveServer,
) -> None:
    provider = Provider(sqlite_live_server.settings)
    claims = provider.verify_id_token(_token(sqlite_live_server, amr=["otp"]), nonce=NONCE)
    with pytest.raises(SignInFailed):
        citizen_from_claims(claims, sqlite_live_server.settings, error=SignInFailed)


def _api(server: LiveServer, token: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return client.get("/api/v1/me/accounts", headers={"Authorization": f"Bearer {token}"})


def test_a_valid_bearer_token_is_accepted(sqlite_live_server: LiveServer) -> None:
    with sqlite_live_server.engine.begin() as db:
        add_subscriber(db, code="0300000042", holder_fin="3RPTEST")
    answer = _api(sqlite_live_server, _access_token(sqlite_live_server, fin="3RPTEST"))
    assert answer.status_code == 200
    assert answer.json() == {"accounts": [{"code": "0300000042"}]}


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "http://127.0.0.1:1/another-idp"},
        {"aud": "another-api"},
        {"exp": int(clock.now().timestamp()) - 60},
        {"fin": "not-a-fin"},
    ],
    ids=["another issuer", "another audience", "expired", "no valid FIN"],
)
def test_a_bearer_token_is_refused_with_401(
    sqlite_live_server: LiveServer, change: dict[str, Any]
) -> None:
    answer = _api(sqlite_live_server, _access_token(sqlite_live_server, **change))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert answer.headers["www-authenticate"] == "Bearer"


def test_an_id_token_is_not_accepted_as_a_bearer_token(sqlite_live_server: LiveServer) -> None:
    assert _api(sqlite_live_server, _token(sqlite_live_server)).status_code == 401


def test_a_bearer_token_signed_by_another_key_is_refused(sqlite_live_server: LiveServer) -> None:
    token = _token(sqlite_live_server, key=ECKey.generate_key("P-256"), typ="at+jwt", nonce=None)
    assert _api(sqlite_live_server, token).status_code == 401


def test_a_bearer_token_check_raises_unauthenticated(sqlite_live_server: LiveServer) -> None:
    with pytest.raises(Unauthenticated):
        Provider(sqlite_live_server.settings).verify_access_token("not.a.token")


def test_a_remembered_bearer_token_is_refused_once_it_expires(
    sqlite_live_server: LiveServer,
) -> None:
    provider = Provider(sqlite_live_server.settings)
    token = _access_token(sqlite_live_server, exp=int(clock.now().timestamp()) + 2)
    first = provider.verify_access_token(token)
    assert provider.verify_access_token(token) == first  # answered from what was remembered
    time.sleep(max(0.0, int(clock.now().timestamp()) + 2 - clock.now().timestamp()) + 0.05)
    with pytest.raises(Unauthenticated):
        provider.verify_access_token(token)


def test_a_remembered_bearer_token_does_not_vouch_for_a_changed_one(
    sqlite_live_server: LiveServer,
) -> None:
    provider = Provider(sqlite_live_server.settings)
    token = _access_token(sqlite_live_server)
    provider.verify_access_token(token)
    header, payload, signature = token.split(".")
    forged = ".".join(
        [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    with pytest.raises(Unauthenticated):
        provider.verify_access_token(forged)


def test_the_api_is_described_with_its_bearer_scheme_and_response_models(
    sqlite_live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=sqlite_live_server.url, timeout=10) as client:
        document = client.get("/openapi.json").json()
    statement = document["paths"]["/api/v1/statements/{code}"]["get"]
    assert statement["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StatementOut"
    }
    for status in ("401", "403", "404", "422"):
        schema = statement["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/dev-idp/token" not in document["paths"]
