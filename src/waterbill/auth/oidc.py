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
from joserfc.jwk import ECKey, KeySet, RSAKey

from waterbill import clock
from waterbill.auth.errors import SignInFailed, SignInUnavailable, Unauthenticated
from waterbill.auth.identity import AuthMethod, Citizen, pseudonymous_id
from waterbill.config import Settings
from waterbill.identifiers import parse_fin

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ("RS256", "ES256")
METADATA_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 600
# A token signed by a key we have not seen makes us refetch the JWKS, but not more often than this.
JWKS_MIN_REFRESH_SECONDS = 30
SCOPES = "openid profile"
# The methods of client authentication at the token endpoint that the relying party uses.
CLIENT_AUTH_METHOD = "client_secret_basic"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
# OAuth errors of the token endpoint that no new sign-in can cure: the deployer must act.
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    citizen: Citizen
    # Kept with the session: the provider's sign-out asks for it back (id_token_hint).
    id_token: str


def matches_pending(pending: PendingLogin | None, state: str | None) -> bool:
    """Whether an answer of the provider carries the state of this very sign-in."""
    return (
        pending is not None
        and bool(state)
        and hmac.compare_digest(str(state).encode(), pending.state.encode())
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
        self._timeout = httpx.Timeout(settings.oidc_timeout)
        # The reason of the ongoing outage, so that it is logged once, not on every request.
        self._failing: str | None = None

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.base_url}/auth/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.settings.base_url}/"

    @property
    def discovery_url(self) -> str:
        # OpenID Connect Discovery 1.0 §4: a trailing slash of the issuer is not doubled.
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched again an hour later or after a failure.

        A failure is never remembered: the next request asks again, so sign-in comes back as soon
        as the provider does. ``SignInUnavailable`` names what failed.
        """
        with self._lock:
            cached = self._metadata
            if cached is not None and time.monotonic() - self._metadata_at <= METADATA_TTL_SECONDS:
                return cached
        document = self._get_json(self.discovery_url, what="discovery")
        problems = discovery_problems(document, issuer=self.issuer)
        if problems:
            raise self.unavailable(
                f"discovery at {self.discovery_url}: {'; '.join(problems)}", misconfigured=True
            )
        with self._lock:
            self._metadata, self._metadata_at = document, time.monotonic()
        return document

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
        try:
            keys = KeySet.import_key_set(self._get_json(uri, what="keys"))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise self.unavailable(
                f"keys at {uri}: not a JWK set ({error})", misconfigured=True
            ) from None
        with self._lock:
            self._keys, self._keys_at = keys, time.monotonic()
        return keys

    def unavailable(self, reason: str, *, misconfigured: bool = False) -> SignInUnavailable:
        """The refusal for ``reason``; logged once per outage, not once per citizen.

        ``misconfigured``: the provider answers, but not as this deployment expects (wrong path,
        issuer, client secret): waiting will not help, the deployer must act.
        """
        with self._lock:
            first, self._failing = self._failing != reason, reason
        kind = "misconfigured" if misconfigured else "unreachable"
        if first:
            log.error("e-gov sign-in unavailable (%s): %s", kind, reason)
        else:
            log.debug("e-gov sign-in still unavailable: %s", reason)
        return SignInUnavailable(reason=reason, misconfigured=misconfigured)

    def available(self) -> None:
        if self._failing is None:
            return
        with self._lock:
            was, self._failing = self._failing, None
        if was is not None:
            log.warning("e-gov sign-in available again (it failed with: %s)", was)

    def _get_json(self, url: str, *, what: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self._timeout)
        except httpx.HTTPError as error:
            raise self.unavailable(_transport_failure(error, url, self._timeout)) from None
        if response.status_code != 200:
            raise self.unavailable(
                f"{what} at {url} answered HTTP {response.status_code}",
                # A 404 is a wrong path, a 5xx an outage.
                misconfigured=response.status_code < 500,
            )
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise self.unavailable(f"{what} at {url} is not a JSON object", misconfigured=True)
        self.available()
        return document

    def check(self) -> list[str]:
        """What a deployer should know before citizens sign in; raises ``SignInUnavailable``.

        Fetches the discovery document and the keys as a sign-in would, so a wrong issuer or path
        is named at start-up rather than at the first citizen's sign-in.
        """
        metadata = self.metadata()
        keys = self.keys()
        notes = [f"issuer {self.issuer}: discovery and {len(keys.keys)} signing key(s) read"]
        usable = [key for key in keys.keys if isinstance(key, RSAKey | ECKey)]
        if not usable:
            raise self.unavailable(
                f"keys at {metadata['jwks_uri']}: no RSA or EC key", misconfigured=True
            )
        if "S256" not in metadata.get("code_challenge_methods_supported", ["S256"]):
            notes.append("warning: the provider does not advertise PKCE S256, which is sent")
        if metadata.get("end_session_endpoint"):
            notes.append(
                f"sign-out also ends the provider's session: {self.post_logout_redirect_uri}"
            )
        else:
            notes.append("no end_session_endpoint: sign-out ends this service's session only")
        notes.append(f"redirect URI to register: {self.redirect_uri}")
        return notes

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
                ("scope", SCOPES),
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("code_challenge", create_s256_code_challenge(pending.code_verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        return url, pending

    def finish_login(
        self, *, pending: PendingLogin | None, state: str | None, code: str | None
    ) -> SignedIn:
        """Checks the state, redeems the code with the PKCE verifier and checks the ID token."""
        if pending is None:
            raise SignInFailed(reason="no_pending_login")
        if not matches_pending(pending, state):
            raise SignInFailed(reason="state_mismatch")
        if not code:
            raise SignInFailed(reason="no_code")
        endpoint = self.metadata()["token_endpoint"]
        try:
            response = httpx.post(
                endpoint,
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
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise self.unavailable(_transport_failure(error, endpoint, self._timeout)) from None
        if response.status_code != 200:
            error_code, description = _oauth_error(response)
            if error_code in CLIENT_ERRORS or response.status_code >= 500:
                raise self.unavailable(
                    f"token endpoint {endpoint} answered {response.status_code} "
                    f"{error_code}: {description}",
                    misconfigured=error_code in CLIENT_ERRORS,
                )
            raise SignInFailed(reason=f"token_refused:{error_code}", detail=description)
        self.available()
        try:
            id_token = response.json().get("id_token")
        except (ValueError, AttributeError):
            id_token = None
        if not isinstance(id_token, str):
            raise SignInFailed(reason="no_id_token")
        claims = self.verify_id_token(id_token, nonce=pending.nonce)
        citizen = citizen_from_claims(claims, self.settings, error=SignInFailed)
        return SignedIn(citizen=citizen, id_token=id_token)

    def logout_url(self, *, id_token: str | None) -> str | None:
        """Where the browser ends the provider's session too (RP-initiated logout), if anywhere.

        None when the provider advertises no ``end_session_endpoint``, or cannot be asked now:
        the citizen is signed out of the service all the same.
        """
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except SignInUnavailable:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        params = [
            ("client_id", self.settings.oidc_client_id),
            ("post_logout_redirect_uri", self.post_logout_redirect_uri),
        ]
        if id_token:
            params.insert(0, ("id_token_hint", id_token))
        url: str = add_params_to_uri(endpoint, params)
        return url

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
        except (JoseError, ValueError):
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
        # Regulation 3.2.1 admits only e-signature, Asan İmza and the e-gov password. The values
        # are no personal data: the deployer reads in the log what the provider sent.
        raise error(
            reason="auth_method_not_allowed",
            detail=f"amr {list(amr) if isinstance(amr, list) else amr!r}; "
            f"accepted: {', '.join(AMR_METHODS)}",
        )
    return Citizen(
        fin=fin,
        surname=str(claims.get("family_name", "")),
        name=str(claims.get("given_name", "")),
        patronymic=str(claims.get("middle_name", "")),
        auth_method=methods[0],
        pseudonym=pseudonymous_id(fin, key=settings.secret_bytes),
    )


def discovery_problems(document: Mapping[str, Any], *, issuer: str) -> list[str]:
    """What makes a discovery document unusable for this relying party; empty when it is fine."""
    problems = []
    if document.get("issuer") != issuer:
        problems.append(
            f"issuer mismatch: the document says {document.get('issuer')!r}, "
            f"WATERBILL_OIDC_ISSUER is {issuer!r} (they must be equal, trailing slash included)"
        )
    missing = [name for name in REQUIRED_ENDPOINTS if not isinstance(document.get(name), str)]
    if missing:
        problems.append(f"no {', '.join(missing)}")
    algorithms = document.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and not set(algorithms) & set(SIGNING_ALGORITHMS):
        problems.append(
            f"ID tokens signed with {', '.join(map(str, algorithms))}; "
            f"accepted: {', '.join(SIGNING_ALGORITHMS)}"
        )
    methods = document.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and CLIENT_AUTH_METHOD not in methods:
        problems.append(f"the token endpoint does not accept {CLIENT_AUTH_METHOD}")
    return problems


def _transport_failure(error: httpx.HTTPError, url: str, timeout: httpx.Timeout) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"no answer from {url} within {timeout.read} s ({type(error).__name__})"
    return f"cannot reach {url}: {type(error).__name__} {error}".strip()


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    """The provider's own ``error`` and ``error_description`` (RFC 6749 §5.2), for the log."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"http_{response.status_code}", response.text[:200]
    return str(body.get("error", f"http_{response.status_code}"))[:64], str(
        body.get("error_description", "")
    )[:200]
