"""Downloads of the statement (PDF, CSV) and the public check of a downloaded document."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from waterbill import clock
from waterbill.certificates.domain import is_certificate
from waterbill.certificates.service import verify_issued
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.documents.domain import DocumentKind, display_code
from waterbill.documents.service import statement_document
from waterbill.errors import MalformedVerificationCode
from waterbill.presentation.certificate import certificate_view
from waterbill.presentation.pdf import render_pdf
from waterbill.presentation.tabular import render_csv
from waterbill.presentation.verification import verified_document
from waterbill.presentation.view import statement_view
from waterbill.statement.domain import Statement
from waterbill.web.deps import (
    CodeLookupLimited,
    CurrentCitizen,
    DatabaseDep,
    Locale,
    SettingsDep,
    verify_url,
)
from waterbill.web.templating import Templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# A statement PDF is about 30 KB and its CSV 3 KB; anything far larger is not one of ours.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MEDIA_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def preparer(
    settings: Settings, kind: DocumentKind, locale: str, now: datetime
) -> Callable[[Statement], Callable[[str], bytes]]:
    """How a download turns the statement as shown into the file issued under its code."""

    def prepare(statement: Statement) -> Callable[[str], bytes]:
        view = statement_view(statement, locale)
        if kind == "pdf":
            return lambda code: render_pdf(
                view, code=code, verify_url=verify_url(settings, code), issued_at=now
            )
        return lambda code: render_csv(view, code=code, verify_url=verify_url(settings, code))

    return prepare


def _download(
    *,
    kind: DocumentKind,
    code: str,
    locale: str,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: Settings,
) -> Response:
    now = clock.now()
    statement, file = statement_document(
        database=database,
        viewer=citizen,
        code=code,
        key=settings.secret_key.get_secret_value().encode(),
        kind=kind,
        locale=locale,
        prepare=preparer(settings, kind, locale, now),
        now=now,
    )
    subscriber_code = statement.subscriber.code
    log.info("document: citizen %s code %s %s", citizen.pseudonym, subscriber_code, kind)
    filename = f"azersu-{subscriber_code}-{statement.as_of.isoformat()}.{kind}"
    return Response(
        file,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# In the citizen's code limit like the page: a refused download issues no document.
@router.get("/statements/{code}/statement.pdf", dependencies=[CodeLookupLimited])
def statement_pdf(
    code: str,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """The statement as a PDF, with a verification code and a QR code."""
    return _download(
        kind="pdf",
        code=code,
        locale=locale,
        citizen=citizen,
        database=database,
        settings=settings,
    )


@router.get("/statements/{code}/statement.csv", dependencies=[CodeLookupLimited])
def statement_csv(
    code: str,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """The statement as CSV for a spreadsheet, with a verification code."""
    return _download(
        kind="csv",
        code=code,
        locale=locale,
        citizen=citizen,
        database=database,
        settings=settings,
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, locale: Locale, code: str | None = None) -> Response:
    """Where whoever holds a document types its verification code."""
    if code is not None:
        if not code.strip():
            raise MalformedVerificationCode()
        return RedirectResponse(f"/verify/{code.strip()}", status_code=303)
    templates: Templates = request.app.state.templates
    return templates.response(request, "verify_form.html")


def _verification_page(
    request: Request,
    *,
    code: str,
    locale: str,
    database: Database,
    settings: Settings,
    file: bytes | None,
) -> Response:
    # A replica that fails meanwhile is left for the primary, for the POST of a file too (the
    # middleware that repeats a failed read repeats GETs only).
    checked = verify_issued(
        database=database,
        key=settings.secret_key.get_secret_value().encode(),
        code=code,
        file=file,
    )
    document, verdict, standing = checked.document, checked.verdict, checked.standing
    templates: Templates = request.app.state.templates
    if is_certificate(document.content):
        return templates.response(
            request,
            "verify_certificate.html",
            verdict=verdict,
            standing=standing,
            code=display_code(document.code),
            certificate=certificate_view(document.content, locale) if standing else None,
            file_checked=file is not None,
        )
    shown = verified_document(document, verdict, locale=locale, file_checked=file is not None)
    return templates.response(request, "verify.html", document=shown)


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(
    request: Request, code: str, locale: Locale, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """Whether the document with this code was issued here, and what it shows."""
    return _verification_page(
        request, code=code, locale=locale, database=database, settings=settings, file=None
    )


@router.post("/verify/{code}", response_class=HTMLResponse)
def verify_file(
    request: Request,
    code: str,
    locale: Locale,
    database: DatabaseDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Whether an uploaded file is, byte for byte, the document issued under this code."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    return _verification_page(
        request,
        code=code,
        locale=locale,
        database=database,
        settings=settings,
        file=data,
    )
