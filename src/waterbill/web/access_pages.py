"""The holder's pages (who viewed my account, authorisations) and the ICT department's oversight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from waterbill.access.grants import grant_authorisation, my_authorisations, revoke_authorisation
from waterbill.access.oversight import my_account_views, oversight
from waterbill.calendar import BAKU
from waterbill.web.deps import (
    CsrfChecked,
    CurrentCitizen,
    DatabaseDep,
    FormCodeLookupLimited,
    Locale,
)
from waterbill.web.templating import Templates

router = APIRouter(include_in_schema=False)


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


@router.get("/me/views", response_class=HTMLResponse)
def who_viewed(
    request: Request, locale: Locale, citizen: CurrentCitizen, database: DatabaseDep
) -> Response:
    """Who viewed my accounts: every view of each code the citizen holds."""
    views = my_account_views(database=database, holder=citizen, channel="web")
    return _templates(request).response(request, "account_views.html", accounts=views, baku=BAKU)


@router.get("/me/authorisations", response_class=HTMLResponse)
def authorisations(
    request: Request, locale: Locale, citizen: CurrentCitizen, database: DatabaseDep
) -> Response:
    """Whom the holder lets see the full statement of each code; grant and revoke."""
    grants = my_authorisations(database=database, holder=citizen)
    return _templates(request).response(request, "authorisations.html", accounts=grants, baku=BAKU)


@router.post("/me/authorisations", dependencies=[CsrfChecked, FormCodeLookupLimited])
def grant(
    citizen: CurrentCitizen,
    database: DatabaseDep,
    code: Annotated[str, Form()],
    fin: Annotated[str, Form()],
) -> Response:
    """Authorise another citizen (by FIN) to see the full statement of one code."""
    grant_authorisation(
        database=database, holder=citizen, code=code, grantee_fin=fin, channel="web"
    )
    return RedirectResponse("/me/authorisations", status_code=303)


@router.post("/me/authorisations/revoke", dependencies=[CsrfChecked, FormCodeLookupLimited])
def revoke(
    citizen: CurrentCitizen,
    database: DatabaseDep,
    code: Annotated[str, Form()],
    fin: Annotated[str, Form()],
) -> Response:
    """Withdraw an authorisation."""
    revoke_authorisation(
        database=database, holder=citizen, code=code, grantee_fin=fin, channel="web"
    )
    return RedirectResponse("/me/authorisations", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    code: Annotated[str | None, Query()] = None,
    citizen_fin: Annotated[str | None, Query(alias="citizen")] = None,
    since: Annotated[date | None, Query()] = None,
) -> Response:
    """Oversight (regulation 3.5): views per hour, refusals, the citizens who viewed most codes."""
    report = oversight(
        database=database,
        admin=citizen,
        channel="web",
        code=code or None,
        citizen_fin=citizen_fin or None,
        since=datetime.combine(since, time(), BAKU) if since else None,
    )
    return _templates(request).response(
        request,
        "admin_audit.html",
        report=report,
        utc=UTC,
        code=code or "",
        citizen_fin=citizen_fin or "",
        since=since.isoformat() if since else "",
    )
