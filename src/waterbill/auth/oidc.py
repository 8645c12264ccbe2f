"""The OpenID Connect relying party: authorization code flow with PKCE, state and nonce.

Authlib makes the state, nonce, PKCE pair and URLs; joserfc checks the tokens. An ID token is
accepted only with the exact issuer, our client id in its audience, a signature by a key of the
provider's JWKS, an expiry in the future and the nonce of this very sign-in. API bearer tokens are
the provider's JWT access tokens (RFC 9068), checked the same way against the API audience.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from waterbill import clock
from waterbill.auth.errors import SignInFailed, Unauthenticated
from waterbill.auth.identity import AuthMethod, Citizen, pseudonymous_id
from waterbill.config import Settings
from waterbill.identifiers import parse_fin

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ("RS256", "ES256")
METADATA_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 600
# A token signed by a key we have not seen makes us refetch the JWKS, but not more often than this.
JWKS_MIN_REFRESH_SECONDS = 30
HTTP_TIMEOUT = httpx.Timeout(5.0)
# A bearer token is sent with every call of an API client; its signature is checked once, then the
# exact token is remembered until it expires, at most this long, so that a key withdrawn from the
# provider's JWKS stops being honoured within a minute.
VERIFIED_TOKEN_TTL_SECONDS = 60.0
VERIFIED_TOKENS_KEPT = 2048

# RFC 8176 values, and the plain names a portal may send, to the regulation's three methods.
AMR_METHODS: dict[str, AuthMethod] = {
    "sc": "e_signature",
    "hwk": "e_signature",
    "e_signature": "e_signature",
    "mob": "asan_imza",
    "asan_imza": "asan_imza",
    "pwd": "password",
    "password": "password",
}


@dataclass(frozen=True, slots=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    next_path: str

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "next_path": self.next_path,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> PendingLogin:
        return cls(
            state=data["state"],
            nonce=data["nonce"],
            code_verifier=data["code_verifier"],
            next_path=data["next_path"],
        )


class Provider:
    """The identity provider as the relying party sees it: metadata and keys, cached."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = settings.issuer
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._verified: dict[str, tuple[float, Citizen]] = {}
        self._verified_lock = threading.Lock()

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.base_url}/auth/callback"

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if (
                self._metadata is None
                or time.monotonic() - self._metadata_at > METADATA_TTL_SECONDS
            ):
                url = f"{self.issuer}/.well-known/openid-configuration"
                document = _get_json(url)
                if document.get("issuer") != self.issuer:
                    raise SignInFailed(reason="discovery_issuer_mismatch")
                self._metadata = document
                self._metadata_at = time.monotonic()
            return self._metadata

    def keys(self, *, kid: str | None = None) -> KeySet:
        with self._lock:
            age = time.monotonic() - self._keys_at
            stale = self._keys is None or age > JWKS_TTL_SECONDS
            unknown_kid = (
                kid is not None
                and self._keys is not None
                and all(key.kid != kid for key in self._keys.keys)
                and age > JWKS_MIN_REFRESH_SECONDS
            )
            if not (stale or unknown_kid):
                assert self._keys is not None
                return self._keys
        uri = self.metadata()["jwks_uri"]
        keys = KeySet.import_key_set(_get_json(uri))  # type: ignore[arg-type]
        with self._lock:
            self._keys, self._keys_at = keys, time.monotonic()
        return keys

    def begin_login(self, *, next_path: str) -> tuple[str, PendingLogin]:
        """The provider's authorization URL and what the callback must find again."""
        pending = PendingLogin(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            next_path=next_path,
        )
        url = add_params_to_uri(
            self.metadata()["authorization_endpoint"],
            [
                ("response_type", "code"),
                ("client_id", self.settings.oidc_client_id),
                ("redirect_uri", self.redirect_uri),
                ("scope", "openid profile"),
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("code_challenge", create_s256_code_challenge(pending.code_verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        return url, pending

    def finish_login(
        self, *, pending: PendingLogin | None, state: str | None, code: str | None
    ) -> Citizen:
        """Checks the state, redeems the code with the PKCE verifier and checks the ID token."""
        if pending is None:
            raise SignInFailed(reason="no_pending_login")
        if not state or not hmac.compare_digest(state, pending.state):
            raise SignInFailed(reason="state_mismatch")
        if not code:
            raise SignInFailed(reason="no_code")
        try:
            response = httpx.post(
                self.metadata()["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": pending.code_verifier,
                },
                auth=(
                    self.settings.oidc_client_id,
                    self.settings.oidc_client_secret.get_secret_value(),
                ),
                timeout=HTTP_TIMEOUT,
            )
        except httpx.HTTPError:
            raise SignInFailed(reason="token_endpoint_unreachable") from None
        if response.status_code != 200:
            raise SignInFailed(reason="token_refused")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed(reason="no_id_token")
        claims = self.verify_id_token(id_token, nonce=pending.nonce)
        return citizen_from_claims(claims, self.settings, error=SignInFailed)

    def verify_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        return self._verify(
            token,
            audience=self.settings.oidc_client_id,
            extra={"nonce": {"essential": True, "value": nonce}},
            error=SignInFailed,
        )

    def remembered(self, token: str) -> Citizen | None:
        """The citizen of a bearer token verified before and not yet expired; no check is made."""
        remembered = self._verified.get(token)
        if remembered is not None and clock.now().timestamp() < remembered[0]:
            return remembered[1]
        return None

    def verify_access_token(self, token: str) -> Citizen:
        """A bearer token of the provider, for the API; anything else is 401."""
        now = clock.now().timestamp()
        remembered = self.remembered(token)
        if remembered is not None:
            return remembered
        claims = self._verify(
            token,
            audience=self.settings.api_audience,
            extra={},
            error=Unauthenticated,
            typ="at+jwt",
        )
        citizen = citizen_from_claims(claims, self.settings, error=Unauthenticated)
        until = min(float(claims["exp"]), now + VERIFIED_TOKEN_TTL_SECONDS)
        with self._verified_lock:
            self._verified.pop(token, None)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = (until, citizen)
        return citizen

    def _verify(
        self,
        token: str,
        *,
        audience: str,
        extra: dict[str, Any],
        error: type[SignInFailed] | type[Unauthenticated],
        typ: str | None = None,
    ) -> dict[str, Any]:
        try:
            header = dict(jws.extract_compact(token.encode()).protected)
        except (JoseError, ValueError, TypeError):
            raise error(reason="malformed_token") from None
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise error(reason="algorithm_not_allowed")
        if typ is not None and str(header.get("typ", "")).lower() not in {
            typ,
            f"application/{typ}",
        }:
            raise error(reason="wrong_token_type")
        try:
            keys = self.keys(kid=header.get("kid"))
            decoded = jwt.decode(token, keys, algorithms=list(SIGNING_ALGORITHMS))
        except SignInFailed:
            raise
        except (JoseError, ValueError, httpx.HTTPError):
            raise error(reason="bad_signature") from None
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            **extra,
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as failure:
            raise error(reason=f"claims_{failure.error}") from None
        return dict(decoded.claims)


def citizen_from_claims(
    claims: Mapping[str, Any],
    settings: Settings,
    *,
    error: type[SignInFailed] | type[Unauthenticated],
) -> Citizen:
    try:
        fin = parse_fin(str(claims.get(settings.oidc_fin_claim, "")))
    except ValueError:
        raise error(reason="no_fin") from None
    amr = claims.get("amr") or []
    methods = [AMR_METHODS[value] for value in amr if value in AMR_METHODS]
    if not methods:
        # Regulation 3.2.1 admits only e-signature, Asan İmza and the e-gov password.
        raise error(reason="auth_method_not_allowed")
    return Citizen(
        fin=fin,
        surname=str(claims.get("family_name", "")),
        name=str(claims.get("given_name", "")),
        patronymic=str(claims.get("middle_name", "")),
        auth_method=methods[0],
        pseudonym=pseudonymous_id(fin, key=settings.secret_bytes),
    )


def _get_json(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise SignInFailed(reason="provider_answer_not_an_object")
    return document
