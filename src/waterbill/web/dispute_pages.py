"""Dispute pages: a citizen files and follows requests; staff with the admin role answer them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from waterbill import clock
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.auth.sessions import csrf_matches
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes import service
from waterbill.disputes.domain import REASONS, STATUSES, Dispute
from waterbill.errors import ServiceError
from waterbill.i18n.messages import refusal_message
from waterbill.web.deps import (
    LABELS,
    CodeLookupLimited,
    CsrfChecked,
    CurrentCitizen,
    CurrentStaff,
    DatabaseDep,
    DbRead,
    Locale,
    SettingsDep,
    enforce_code_limit,
    get_web_session,
)
from waterbill.web.forms import FORM_ERRORS, DisputeForm, photo_response, read_dispute_form
from waterbill.web.templating import Templates

router = APIRouter(include_in_schema=False)

_PAGE_SIZE = 50
# Refusals of a staff action shown on the request's page, beside the form that caused them.
_ANSWER_ERRORS = frozenset(
    {"text_required", "text_too_long", "text_not_printable", "dispute_status_conflict"}
)


def _render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    templates: Templates = request.app.state.templates
    return templates.response(
        request, name, status_code=status_code, labels=LABELS, reasons=REASONS, **context
    )


# The citizen ----------------------------------------------------------------------------------


def _form_page(
    request: Request,
    *,
    database: Database,
    citizen: Citizen,
    settings: Settings,
    values: DisputeForm,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    subscriber, window = service.filing_choices(
        database=database,
        citizen=citizen,
        code=values.code,
        code_length=settings.code_length_range,
        today=clock.today(),
    )
    # Water is what most disputes are about; the citizen can switch before sending.
    service_choice = values.service if values.service in subscriber.services else ""
    if not service_choice and subscriber.services:
        service_choice = subscriber.services[0]
    return _render(
        request,
        "disputes/new.html",
        status_code=status_code,
        subscriber=subscriber,
        months=list(reversed(window.months)),
        values=values,
        service_choice=service_choice,
        error=error,
    )


@router.get("/disputes/new", response_class=HTMLResponse, dependencies=[CodeLookupLimited])
def new_dispute(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
    code: str = "",
    period: str = "",
    disputed_service: Annotated[str, Query(alias="service")] = "",
) -> Response:
    """The request form, with the month (and the service) chosen on the statement."""
    values = DisputeForm(
        code=code,
        period=period,
        service=disputed_service,
        reason="",
        text="",
        csrf_token="",
        photo=None,
    )
    return _form_page(request, database=database, citizen=citizen, settings=settings, values=values)


@router.post("/disputes")
async def file_dispute(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """Files the request and shows it; a refused field shows the form again with the reason."""
    form = await read_dispute_form(request)
    session = await run_in_threadpool(get_web_session, request)
    if not csrf_matches(session, form.csrf_token):
        raise Forbidden(reason="csrf")
    await enforce_code_limit(request, citizen, form.code)
    try:
        dispute = await run_in_threadpool(
            lambda: service.file_dispute(
                database=database,
                citizen=citizen,
                code=form.code,
                period=form.period,
                service=form.service,
                reason=form.reason,
                text=form.text,
                photo=form.photo,
                rules=service.FilingRules.from_settings(settings),
            )
        )
    except ServiceError as refusal:
        if refusal.code not in FORM_ERRORS:
            raise
        return await run_in_threadpool(
            partial(
                _form_page,
                request,
                database=database,
                citizen=citizen,
                settings=settings,
                values=form,
                error=refusal_message(refusal, locale),
                status_code=refusal.status,
            )
        )
    return RedirectResponse(f"/disputes/{dispute.reference}", status_code=303)


@router.get("/disputes", response_class=HTMLResponse)
def my_disputes(request: Request, locale: Locale, citizen: CurrentCitizen, db: DbRead) -> Response:
    """The citizen's requests with their status."""
    disputes = service.list_my_disputes(db=db, citizen=citizen)
    return _render(request, "disputes/list.html", disputes=disputes)


@router.get("/disputes/{reference}", response_class=HTMLResponse)
def my_dispute(
    request: Request, reference: str, locale: Locale, citizen: CurrentCitizen, db: DbRead
) -> Response:
    """One request: what was asked, the answer, and every change of status."""
    detail = service.get_my_dispute(db=db, citizen=citizen, reference=reference)
    return _render(request, "disputes/show.html", detail=detail)


@router.get("/disputes/{reference}/photo")
def my_dispute_photo(reference: str, citizen: CurrentCitizen, db: DbRead) -> Response:
    """The meter photo of the request, as it was stored (without metadata)."""
    return photo_response(service.get_my_photo(db=db, citizen=citizen, reference=reference))


# Staff ----------------------------------------------------------------------------------------


@router.get("/admin/disputes", response_class=HTMLResponse)
def staff_disputes(
    request: Request,
    locale: Locale,
    staff: CurrentStaff,
    db: DbRead,
    settings: SettingsDep,
    status: str = "",
    code: str = "",
    period: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The queue of requests, oldest first, filtered by status, subscriber code and month."""
    where = service.staff_filter(
        status=status,
        code=code,
        period=period,
        limit=_PAGE_SIZE,
        offset=offset,
        code_length=settings.code_length_range,
    )
    disputes, total = service.list_for_staff(db=db, where=where)
    return _render(
        request,
        "admin/disputes.html",
        disputes=disputes,
        total=total,
        where=where,
        statuses=STATUSES,
        filters={"status": status, "code": code, "period": period},
    )


def _staff_page(
    request: Request,
    *,
    database: Database,
    reference: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    detail = service.get_for_staff(database=database, reference=reference)
    return _render(
        request, "admin/dispute.html", status_code=status_code, detail=detail, error=error
    )


@router.get("/admin/disputes/{reference}", response_class=HTMLResponse)
def staff_dispute(
    request: Request, reference: str, locale: Locale, staff: CurrentStaff, database: DatabaseDep
) -> Response:
    """One request with its history and the forms to review, answer and close it."""
    return _staff_page(request, database=database, reference=reference)


@router.get("/admin/disputes/{reference}/photo")
def staff_dispute_photo(reference: str, staff: CurrentStaff, db: DbRead) -> Response:
    """The meter photo of a request."""
    return photo_response(service.get_staff_photo(db=db, reference=reference))


def _after_move(
    request: Request,
    *,
    database: Database,
    reference: str,
    locale: str,
    act: Callable[[], Dispute],
) -> Response:
    try:
        moved = act()
    except ServiceError as refusal:
        if refusal.code not in _ANSWER_ERRORS:
            raise
        return _staff_page(
            request,
            database=database,
            reference=reference,
            error=refusal_message(refusal, locale),
            status_code=refusal.status,
        )
    return RedirectResponse(f"/admin/disputes/{moved.reference}", status_code=303)


@router.post("/admin/disputes/{reference}/review", dependencies=[CsrfChecked])
def staff_review(
    request: Request, reference: str, locale: Locale, staff: CurrentStaff, database: DatabaseDep
) -> Response:
    """Takes the request under review."""
    return _after_move(
        request,
        database=database,
        reference=reference,
        locale=locale,
        act=lambda: service.start_review(database=database, staff=staff, reference=reference),
    )


@router.post("/admin/disputes/{reference}/answer", dependencies=[CsrfChecked])
def staff_answer(
    request: Request,
    reference: str,
    locale: Locale,
    staff: CurrentStaff,
    database: DatabaseDep,
    answer: Annotated[str, Form()] = "",
) -> Response:
    """Answers the request."""
    return _after_move(
        request,
        database=database,
        reference=reference,
        locale=locale,
        act=lambda: service.answer_dispute(
            database=database, staff=staff, reference=reference, answer=answer
        ),
    )


@router.post("/admin/disputes/{reference}/close", dependencies=[CsrfChecked])
def staff_close(
    request: Request,
    reference: str,
    locale: Locale,
    staff: CurrentStaff,
    database: DatabaseDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Closes the request."""
    return _after_move(
        request,
        database=database,
        reference=reference,
        locale=locale,
        act=lambda: service.close_dispute(
            database=database, staff=staff, reference=reference, note=note
        ),
    )
