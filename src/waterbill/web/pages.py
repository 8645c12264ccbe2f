"""The citizen's pages: start, sign-in and sign-out, the code form and the statement."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from waterbill.access.views import statement_page as page_of_statement
from waterbill.auth.errors import SignInFailed
from waterbill.auth.oidc import matches_pending
from waterbill.auth.sign_in import (
    begin_sign_in,
    finish_sign_in,
    refuse_sign_in,
    sign_out,
    spend_sign_in,
)
from waterbill.presentation.chart import statement_charts
from waterbill.presentation.view import statement_view
from waterbill.statement.service import accounts_of
from waterbill.web.deps import (
    LABELS,
    CodeLookupLimited,
    CsrfChecked,
    CurrentCitizen,
    DatabaseDep,
    Locale,
    ProviderDep,
    SessionDep,
    SettingsDep,
    session_cookie_name,
)
from waterbill.web.templating import Templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def _safe_next(value: str | None) -> str:
    """Only a path on this site: an open redirect would lend our name to phishing."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/statements"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value:
        return "/statements"
    return value


def _set_session_cookie(response: Response, raw_id: str, settings: SettingsDep) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        raw_id,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        secure=not settings.is_development,
        httponly=True,
        samesite="lax",
    )


@router.get("/", response_class=HTMLResponse)
def start(request: Request, locale: Locale, session: SessionDep) -> Response:
    """What the service is, and the way in."""
    return _templates(request).response(request, "start.html")


@router.get("/auth/login")
def login(
    request: Request,
    locale: Locale,
    database: DatabaseDep,
    provider: ProviderDep,
    settings: SettingsDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Sends the citizen to the e-gov sign-in, with a fresh state, nonce and PKCE verifier.

    A GET, because protected pages redirect here; it only starts a pre-sign-in session.
    """
    url, pending = provider.begin_login(next_path=_safe_next(next_path))
    raw_id = begin_sign_in(database=database, settings=settings, pending=pending)
    response = RedirectResponse(url, status_code=303)
    _set_session_cookie(response, raw_id, settings)
    return response


@router.get("/auth/callback")
def callback(
    request: Request,
    locale: Locale,
    session: SessionDep,
    database: DatabaseDep,
    provider: ProviderDep,
    settings: SettingsDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """The provider's answer: checked, then a new session replaces the pre-sign-in one.

    Only an answer carrying the state of this browser's pending sign-in touches its session: a
    link to this address on another site must neither sign a citizen out nor spoil a sign-in.
    """
    pending = session.pending_login if session is not None else None
    if session is not None and session.citizen is not None and pending is None:
        # Signed in already and no sign-in under way: nothing to finish, nothing to end.
        return RedirectResponse("/statements", status_code=303)
    if session is not None and matches_pending(pending, state):
        # Whatever happens next, this state and nonce are spent.
        spend_sign_in(database=database, session=session)
    try:
        if error is not None and matches_pending(pending, state):
            # The provider's own refusal (the citizen cancelled, a policy refused): for the log.
            raise SignInFailed(reason=f"provider_error:{error[:40]}")
        signed_in = provider.finish_login(pending=pending, state=state, code=code)
    except SignInFailed as failure:
        log.warning(
            "sign-in refused: %s %s",
            failure.params.get("reason"),
            failure.params.get("detail", ""),
        )
        refuse_sign_in(database=database, reason=str(failure.params.get("reason", "")))
        raise
    citizen = signed_in.citizen
    raw_id = finish_sign_in(
        database=database, settings=settings, citizen=citizen, id_token=signed_in.id_token
    )
    log.info("sign-in: citizen %s by %s", citizen.pseudonym, citizen.auth_method)
    assert pending is not None
    response = RedirectResponse(_safe_next(pending.next_path), status_code=303)
    _set_session_cookie(response, raw_id, settings)
    return response


@router.post("/auth/logout", dependencies=[CsrfChecked])
def logout(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    provider: ProviderDep,
    settings: SettingsDep,
) -> Response:
    """Ends the session on the server, forgets the cookie, then ends the provider's session.

    On a shared computer the next person must not find the e-gov portal still signed in: when the
    provider advertises ``end_session_endpoint`` the browser goes there (RP-initiated logout) and
    comes back to the start page.
    """
    target = "/"
    if session is not None:
        sign_out(database=database, session=session)
        if session.citizen is not None:
            target = provider.logout_url(id_token=session.id_token) or "/"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        secure=not settings.is_development,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/statements", response_class=HTMLResponse, dependencies=[CodeLookupLimited])
def lookup(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    code: str | None = None,
) -> Response:
    """The subscriber-code form with the citizen's own accounts; with ``?code=`` the statement."""
    if code is not None:
        # The statement opens its own transaction: no connection is held for the form meanwhile.
        return statement_page(request, code, locale, citizen, database)
    accounts = accounts_of(database=database, citizen=citizen)
    return _templates(request).response(request, "lookup.html", accounts=accounts, code="")


@router.get("/statements/{code}", response_class=HTMLResponse, dependencies=[CodeLookupLimited])
def statement_page(
    request: Request,
    code: str,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
) -> Response:
    """The statement of one subscriber code: the nine items of regulation 3.4."""
    page = page_of_statement(database=database, viewer=citizen, code=code, channel="web")
    statement = page.statement
    log.info("statement: citizen %s code %s", citizen.pseudonym, statement.subscriber.code)
    view = statement_view(statement, locale)
    return _templates(request).response(
        request,
        "statement.html",
        statement=statement,
        view=view,
        charts=None if statement.masked else statement_charts(view),
        disputes=page.disputes,
        dispute_labels=LABELS,
        readings=page.readings,
    )
