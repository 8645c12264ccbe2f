"""``Annotated`` dependencies (the database, the user's language, the session, the citizen and the
staff, the CSRF checks) and the little else several route modules share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.auth.identity import Citizen
from waterbill.auth.oidc import Provider
from waterbill.auth.sessions import WebSession, csrf_matches
from waterbill.auth.sign_in import current_session
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes.access import is_staff
from waterbill.disputes.errors import NotStaff
from waterbill.disputes.messages import REASON_LABELS, SERVICE_LABELS, STATUS_LABELS
from waterbill.documents.domain import display_code
from waterbill.i18n.catalogs import negotiate
from waterbill.identifiers import well_formed_code
from waterbill.ops.ratelimit import enforce_code_lookup
from waterbill.web.headers import LANGUAGE_COOKIE

# The dispute's status, reason and service as the templates name them.
LABELS = {"status": STATUS_LABELS, "reason": REASON_LABELS, "service": SERVICE_LABELS}


def session_cookie_name(settings: Settings) -> str:
    # Browsers refuse a __Host- cookie without Secure, and development runs over plain http.
    return "waterbill_session" if settings.is_development else "__Host-waterbill"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_provider(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


def read_connection(request: Request) -> Iterator[Connection]:
    with get_database(request).read() as connection:
        yield connection


def get_locale(request: Request) -> str:
    """``?lang=``, then the language cookie, then ``Accept-Language``; az by default."""
    locale = negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )
    request.state.locale = locale
    return locale


def get_web_session(request: Request) -> WebSession | None:
    if hasattr(request.state, "web_session"):
        cached: WebSession | None = request.state.web_session
        return cached
    settings = get_settings(request)
    raw_id = request.cookies.get(session_cookie_name(settings))
    session = None
    if raw_id:
        session = current_session(database=get_database(request), settings=settings, raw_id=raw_id)
    request.state.web_session = session
    return session


# Declared for OpenAPI; a missing or non-bearer header falls through to the session cookie.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An access token of the e-gov single sign-on (RFC 9068 JWT).",
)


async def get_citizen(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Citizen:
    """The citizen of the bearer token, or of the session cookie; otherwise ``Unauthenticated``.

    A token already verified is answered on the event loop; checking a new one (which may fetch
    the provider's keys) and reading a session (the database) run on a request thread.
    """
    if bearer is not None and bearer.credentials.strip():
        token = bearer.credentials.strip()
        provider = get_provider(request)
        remembered = provider.remembered(token)
        if remembered is not None:
            return remembered
        return await run_in_threadpool(provider.verify_access_token, token)
    session = await run_in_threadpool(get_web_session, request)
    if session is None or session.citizen is None:
        raise Unauthenticated()
    return session.citizen


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every state-changing form carries the session's synchronizer token."""
    if not csrf_matches(get_web_session(request), csrf_token):
        raise Forbidden(reason="csrf")


def check_api_csrf(request: Request, citizen: CurrentCitizen) -> None:
    """A bearer token cannot be sent by another site; a session cookie can, so it needs the token.

    Browser scripts send the session's CSRF token in ``X-CSRF-Token``.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return
    if not csrf_matches(get_web_session(request), request.headers.get("x-csrf-token")):
        raise Forbidden(reason="csrf")


def get_staff(citizen: CurrentCitizen, settings: SettingsDep) -> Citizen:
    if not is_staff(citizen, settings):
        raise NotStaff(reason="not_staff")
    return citizen


def verify_url(settings: Settings, code: str) -> str:
    """Where anyone checks a document by its verification code (printed on it as a QR code)."""
    return f"{settings.base_url}/verify/{display_code(code)}"


async def enforce_code_limit(request: Request, citizen: Citizen, code: str | None) -> None:
    """Refuses (429) a citizen who looks up too many distinct subscriber codes (enumeration).

    Every way to read something of a code counts: the statement page and API, its downloads,
    the dispute form and filing, and granting or revoking an authorisation.
    """
    if code is None:
        return
    settings = get_settings(request)
    normalised = well_formed_code(code, settings.code_length_range)
    if normalised is None:
        return  # refused as malformed by the route; it reveals nothing
    await enforce_code_lookup(
        limiter=request.app.state.ops.limiter, citizen_id=citizen.pseudonym, code=normalised
    )


async def limit_code_lookups(
    request: Request, citizen: Annotated[Citizen, Depends(get_citizen)], code: str | None = None
) -> None:
    """``enforce_code_limit`` on the code of the path or the query."""
    await enforce_code_limit(request, citizen, code)


async def limit_form_code_lookups(
    request: Request,
    citizen: Annotated[Citizen, Depends(get_citizen)],
    code: Annotated[str | None, Form()] = None,
) -> None:
    """``enforce_code_limit`` on the code of a posted form."""
    await enforce_code_limit(request, citizen, code)


# The plain look-ups as coroutines: FastAPI runs a plain ``def`` dependency on a worker thread,
# and each hand-over to a thread and back cost more than the look-up (issue 9's profile).
async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _database(request: Request) -> Database:
    return get_database(request)


async def _provider(request: Request) -> Provider:
    return get_provider(request)


async def _locale(request: Request) -> str:
    return get_locale(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
ProviderDep = Annotated[Provider, Depends(_provider)]
DbRead = Annotated[Connection, Depends(read_connection)]
Locale = Annotated[str, Depends(_locale)]
SessionDep = Annotated[WebSession | None, Depends(get_web_session)]
CurrentCitizen = Annotated[Citizen, Depends(get_citizen)]
CurrentStaff = Annotated[Citizen, Depends(get_staff)]
CsrfChecked = Depends(check_csrf)
ApiCsrf = Depends(check_api_csrf)
CodeLookupLimited = Depends(limit_code_lookups)
FormCodeLookupLimited = Depends(limit_form_code_lookups)
