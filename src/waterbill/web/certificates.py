"""No-debt certificates: the statement page's button, the PDF, and the portal's API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict

from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.certificates.service import Render, certificate_file, issue_certificate
from waterbill.config import Settings
from waterbill.documents.domain import display_code
from waterbill.errors import (
    AuditUnavailable,
    DebtOutstanding,
    MalformedCode,
    NotHousehold,
    RateLimited,
    UnknownCode,
)
from waterbill.i18n.messages import refusal_message
from waterbill.presentation.certificate import (
    certificate_view,
    format_day,
    render_certificate_pdf,
)
from waterbill.web.deps import (
    ApiCsrf,
    CodeLookupLimited,
    CsrfChecked,
    CurrentCitizen,
    DatabaseDep,
    Locale,
    SettingsDep,
    limit_code_lookups,
    verify_url,
)
from waterbill.web.errors import InvalidRequest, errors_of
from waterbill.web.templating import Templates

log = logging.getLogger(__name__)
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["certificates"])


def renderer(settings: Settings, locale: str) -> Render:
    def render(content: Mapping[str, Any], code: str) -> bytes:
        return render_certificate_pdf(
            certificate_view(content, locale),
            code=code,
            verify_url=verify_url(settings, code),
            issued_at=datetime.fromisoformat(content["issued_at"]),
        )

    return render


def pdf_url(verification_code: str) -> str:
    return f"/certificates/{verification_code}.pdf"


@pages.post(
    "/statements/{code}/certificate",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked, CodeLookupLimited],
)
def certificate_page(
    request: Request,
    code: str,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """Issues a no-debt certificate, or says what is owed and how to pay it."""
    templates: Templates = request.app.state.templates
    try:
        issued = issue_certificate(
            database=database,
            viewer=citizen,
            code=code,
            channel="web",
            locale=locale,
            render=renderer(settings, locale),
        )
    except DebtOutstanding as debt:
        return templates.response(
            request,
            "certificate_refused.html",
            status_code=debt.status,
            code=debt.params["code"],
            message=refusal_message(debt, locale),
        )
    log.info("certificate: citizen %s code %s", citizen.pseudonym, issued.subscriber_code)
    return templates.response(
        request,
        "certificate.html",
        issued=issued,
        display_code=display_code(issued.verification_code),
        valid_until=format_day(issued.valid_until, locale),
        pdf_url=pdf_url(issued.verification_code),
    )


@pages.get("/certificates/{verification_code}.pdf")
def certificate_pdf(
    verification_code: str, citizen: CurrentCitizen, database: DatabaseDep
) -> Response:
    """The certificate's PDF, byte for byte as issued, to the citizen it was issued to."""
    found = certificate_file(
        database=database, viewer=citizen, verification_code=verification_code, channel="web"
    )
    filename = f"azersu-arayis-{found.subscriber_code}-{found.verification_code}.pdf"
    return Response(
        found.file,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class CertificateIn(BaseModel):
    model_config = ConfigDict(frozen=True)
    subscriber_code: str
    kind: Literal["no_debt"]


class CertificateBody(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["no_debt"]
    subscriber_code: str
    as_of: str
    balance: str
    balance_kind: Literal["settled", "advance"]
    verification_code: str
    valid_until: str
    pdf_url: str


class CertificateOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    certificate: CertificateBody


_ERRORS = errors_of(
    Unauthenticated,
    Forbidden,
    NotHousehold,
    UnknownCode,
    DebtOutstanding,
    MalformedCode,
    InvalidRequest,
    RateLimited,
    AuditUnavailable,
)


@api.post(
    "/certificates",
    status_code=201,
    response_model=CertificateOut,
    responses=_ERRORS,
    dependencies=[ApiCsrf],
)
async def create_certificate(
    request: Request,
    body: CertificateIn,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> CertificateOut:
    """Issues a no-debt certificate when the balance, counting every payment, owes nothing."""
    # The same limit on distinct codes as a statement lookup: the answers tell codes apart.
    await limit_code_lookups(request, citizen, code=body.subscriber_code)
    issued = await run_in_threadpool(
        lambda: issue_certificate(
            database=database,
            viewer=citizen,
            code=body.subscriber_code,
            channel="api",
            locale=locale,
            render=renderer(settings, locale),
        )
    )
    return CertificateOut(
        certificate=CertificateBody(
            kind="no_debt",
            subscriber_code=issued.subscriber_code,
            as_of=issued.as_of.isoformat(),
            balance=f"{issued.balance:.2f}",
            balance_kind="advance" if issued.balance_kind == "advance" else "settled",
            verification_code=issued.verification_code,
            valid_until=issued.valid_until.isoformat(),
            pdf_url=pdf_url(issued.verification_code),
        )
    )
