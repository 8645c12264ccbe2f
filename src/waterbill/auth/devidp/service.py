"""The development provider's rules: authorization requests, codes, PKCE and signed tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import Connection

from waterbill import clock
from waterbill.auth.devidp import repository
from waterbill.auth.devidp.keys import signing_key
from waterbill.auth.identity import AUTH_METHODS
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.identifiers import parse_fin
from waterbill.statement.repository import codes_held_by

CODE_LIFETIME = timedelta(seconds=60)
TOKEN_LIFETIME_SECONDS = 600
# The regulation's three methods as RFC 8176 "amr" values: smart card, mobile, password.
METHOD_AMR = {"e_signature": ["sc", "hwk"], "asan_imza": ["mob", "asan_imza"], "password": ["pwd"]}


class AuthorizationError(ValueError):
    """An OAuth error code (RFC 6749 §4.1.2.1 / §5.2)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    scope: str


def expected_redirect_uri(settings: Settings) -> str:
    return f"{settings.base_url}/auth/callback"


def expected_post_logout_redirect_uri(settings: Settings) -> str:
    return f"{settings.base_url}/"


# The provider's own session: after one sign-in the portal offers to continue as that citizen
# without asking again, until its end_session endpoint is called (RP-initiated logout).
PROVIDER_SESSION_COOKIE = "devidp_session"
_SESSION_LABEL = b"waterbill dev-idp session v1"


def _session_mac(settings: Settings, payload: str) -> str:
    key = hmac.new(settings.secret_bytes, _SESSION_LABEL, hashlib.sha256).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def provider_session_cookie(settings: Settings, *, fin: str, method: str) -> str:
    issued = int(clock.now().timestamp())
    payload = base64.urlsafe_b64encode(
        json.dumps({"fin": fin, "method": method, "iat": issued}).encode()
    ).decode()
    return f"{payload}.{_session_mac(settings, payload)}"


def provider_session(settings: Settings, value: str | None) -> tuple[str, str] | None:
    """The FIN and method of the provider's session in this cookie, if it is ours and alive."""
    payload, _, mac = (value or "").partition(".")
    if not payload or not hmac.compare_digest(
        mac.encode(), _session_mac(settings, payload).encode()
    ):
        return None
    data = json.loads(base64.urlsafe_b64decode(payload))
    if clock.now().timestamp() - data["iat"] > settings.session_absolute_hours * 3600:
        return None
    return str(data["fin"]), str(data["method"])


def check_end_session_request(settings: Settings, params: dict[str, str]) -> str:
    """The registered address to return to after the provider's sign-out (RP-initiated logout).

    An ``id_token_hint`` must be one of ours, for this client (it may have expired meanwhile).
    """
    target = params.get("post_logout_redirect_uri", "")
    if target != expected_post_logout_redirect_uri(settings):
        raise AuthorizationError("invalid_request", "post_logout_redirect_uri is not registered")
    if params.get("client_id") not in (None, "", settings.oidc_client_id):
        raise AuthorizationError("unauthorized_client", "unknown client_id")
    hint = params.get("id_token_hint")
    if hint:
        try:
            claims = jwt.decode(hint, signing_key(settings.secret_bytes)).claims
        except (JoseError, ValueError):
            raise AuthorizationError("invalid_request", "id_token_hint is not ours") from None
        if claims.get("iss") != settings.issuer or claims.get("aud") != settings.oidc_client_id:
            raise AuthorizationError("invalid_request", "id_token_hint is for another client")
    return target


def check_authorization_request(settings: Settings, params: dict[str, str]) -> AuthorizationRequest:
    if params.get("client_id") != settings.oidc_client_id:
        raise AuthorizationError("unauthorized_client", "unknown client_id")
    if params.get("redirect_uri") != expected_redirect_uri(settings):
        raise AuthorizationError("invalid_request", "redirect_uri is not registered")
    if params.get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", "only the code flow is supported")
    if "openid" not in params.get("scope", "").split():
        raise AuthorizationError("invalid_scope", "the openid scope is required")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        raise AuthorizationError("invalid_request", "PKCE with S256 is required")
    if not params.get("state") or not params.get("nonce"):
        raise AuthorizationError("invalid_request", "state and nonce are required")
    return AuthorizationRequest(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        state=params["state"],
        nonce=params["nonce"],
        code_challenge=params["code_challenge"],
        scope=params["scope"],
    )


def demo_citizens(*, database: Database) -> list[tuple[str, str, str, str]]:
    """The citizens the provider's sign-in page offers: FIN, surname, name, patronymic."""
    with database.read() as db:
        return repository.demo_citizens(db)


def issue_code(*, database: Database, request: AuthorizationRequest, fin: str, method: str) -> str:
    """A single-use code, valid for a minute, bound to the request and the chosen citizen."""
    fin = parse_fin(fin)
    if method not in AUTH_METHODS:
        raise ValueError("unknown sign-in method")
    code = secrets.token_urlsafe(32)
    with database.write() as db:
        repository.insert_code(
            db,
            code_hash=hashlib.sha256(code.encode()).hexdigest(),
            grant=json.dumps({"request": asdict(request), "fin": fin, "method": method}),
            expires_at=clock.now() + CODE_LIFETIME,
        )
    return code


def redeem_code(
    *,
    database: Database,
    settings: Settings,
    code: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code_verifier: str,
) -> dict[str, Any]:
    """The token response for a code, once; every check failing is ``invalid_grant``.

    One unit of work: a refused exchange rolls back, so it does not spend the code.
    """
    with database.write() as db:
        return _redeem(
            db,
            settings=settings,
            code=code,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )


def _redeem(
    db: Connection,
    *,
    settings: Settings,
    code: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code_verifier: str,
) -> dict[str, Any]:
    expected_secret = settings.oidc_client_secret.get_secret_value()
    if client_id != settings.oidc_client_id or not secrets.compare_digest(
        client_secret.encode(), expected_secret.encode()
    ):
        raise AuthorizationError("invalid_client", "client authentication failed")
    grant_json = repository.redeem_code(
        db, code_hash=hashlib.sha256(code.encode()).hexdigest(), now=clock.now()
    )
    if grant_json is None:
        raise AuthorizationError("invalid_grant", "the code is unknown, used or expired")
    grant = json.loads(grant_json)
    request = AuthorizationRequest(**grant["request"])
    if request.client_id != client_id or request.redirect_uri != redirect_uri:
        raise AuthorizationError("invalid_grant", "the code was issued for another request")
    if not code_verifier or not secrets.compare_digest(
        create_s256_code_challenge(code_verifier), request.code_challenge
    ):
        raise AuthorizationError("invalid_grant", "PKCE verification failed")
    claims = citizen_claims(db=db, fin=grant["fin"], method=grant["method"])
    return {
        "access_token": access_token(settings, claims=claims),
        "id_token": id_token(settings, claims=claims, nonce=request.nonce),
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "scope": request.scope,
    }


def demo_sign_in(*, db: Connection) -> tuple[str, str, str] | None:
    """A demo citizen to sign in as: FIN, full name and one subscriber code they hold."""
    citizens = repository.demo_citizens(db, limit=1)
    if not citizens:
        return None
    fin, surname, name, patronymic = citizens[0]
    codes = codes_held_by(db, fin)
    full_name = " ".join(part for part in (surname, name, patronymic) if part)
    return fin, full_name, codes[0] if codes else ""


def citizen_claims(*, db: Connection, fin: str, method: str) -> dict[str, Any]:
    names = repository.holder_name(db, fin) or ("Sınaq", "Vətəndaş", "")
    return {
        "sub": fin,
        "fin": fin,
        "family_name": names[0],
        "given_name": names[1],
        "middle_name": names[2],
        "amr": METHOD_AMR[method],
    }


def _sign(settings: Settings, header_typ: str, claims: dict[str, Any]) -> str:
    key = signing_key(settings.secret_bytes)
    now = int(clock.now().timestamp())
    body = {"iss": settings.issuer, "iat": now, "exp": now + TOKEN_LIFETIME_SECONDS, **claims}
    body[settings.oidc_fin_claim] = claims["fin"]
    return jwt.encode({"alg": "ES256", "kid": key.kid, "typ": header_typ}, body, key)


def id_token(settings: Settings, *, claims: dict[str, Any], nonce: str) -> str:
    return _sign(settings, "JWT", {**claims, "aud": settings.oidc_client_id, "nonce": nonce})


def access_token(settings: Settings, *, claims: dict[str, Any]) -> str:
    return _sign(
        settings,
        "at+jwt",
        {
            **claims,
            "aud": settings.api_audience,
            "client_id": settings.oidc_client_id,
            "jti": secrets.token_urlsafe(16),
        },
    )


def discovery_document(settings: Settings) -> dict[str, Any]:
    issuer = settings.issuer.rstrip("/")
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/end_session",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["openid", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code"],
        "claims_supported": ["sub", "fin", "family_name", "given_name", "middle_name", "amr"],
    }
