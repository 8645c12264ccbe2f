"""Meter reading pages: a citizen submits from the statement and follows the reading; the ICT
staff see the day's readings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from waterbill import clock
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.auth.sessions import csrf_matches
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.errors import ServiceError
from waterbill.i18n.messages import refusal_message
from waterbill.readings import service
from waterbill.readings.domain import target_of
from waterbill.web.deps import (
    CurrentCitizen,
    CurrentStaff,
    DatabaseDep,
    DbRead,
    Locale,
    SettingsDep,
    get_web_session,
)
from waterbill.web.forms import photo_response, read_submission, submit
from waterbill.web.templating import Templates

router = APIRouter(include_in_schema=False)

# Refusals that concern what was typed or chosen: the form is shown again with the message.
FORM_ERRORS = frozenset(
    {
        "malformed_reading",
        "malformed_date",
        "outside_window",
        "reading_decreased",
        "reading_implausible",
        "photo_too_large",
        "photo_wrong_type",
        "photo_undecodable",
        "rate_limited",
    }
)


def _render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    templates: Templates = request.app.state.templates
    return templates.response(request, name, status_code=status_code, **context)


def _form_page(
    request: Request,
    *,
    database: Database,
    citizen: Citizen,
    settings: Settings,
    values: dict[str, str],
    error: str | None = None,
    error_code: str | None = None,
    status_code: int = 200,
) -> Response:
    subscriber = service.submission_account(
        database=database,
        citizen=citizen,
        code=values["code"],
        code_length=settings.code_length_range,
    )
    rules = service.rules_from(settings)
    today = clock.today()
    return _render(
        request,
        "readings/new.html",
        status_code=status_code,
        subscriber=subscriber,
        values=values,
        today=today.isoformat(),
        target=target_of(today, rules),
        rules=rules,
        error=error,
        error_code=error_code,
    )


@router.get("/readings/new", response_class=HTMLResponse)
def new_reading(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
    code: str = "",
) -> Response:
    """The reading form of an account (or why its meter has no reading to submit)."""
    values = {"code": code, "reading": "", "read_on": clock.today().isoformat()}
    return _form_page(request, database=database, citizen=citizen, settings=settings, values=values)


@router.post("/readings")
async def submit_reading(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """Stores the reading and shows its reference; a refused field shows the form again."""
    submission, csrf_token = await read_submission(request)
    session = await run_in_threadpool(get_web_session, request)
    if not csrf_matches(session, csrf_token):
        raise Forbidden(reason="csrf")
    try:
        reading = await submit(database, citizen, settings, submission, channel="web")
    except ServiceError as refusal:
        if refusal.code not in FORM_ERRORS:
            raise
        values = {
            "code": submission.code,
            "reading": submission.reading,
            "read_on": submission.read_on,
            "confirm_implausible": "1" if refusal.code == "reading_implausible" else "",
        }
        message = refusal_message(refusal, locale)
        code, status = refusal.code, refusal.status
        return await run_in_threadpool(
            lambda: _form_page(
                request,
                database=database,
                citizen=citizen,
                settings=settings,
                values=values,
                error=message,
                error_code=code,
                status_code=status,
            )
        )
    return RedirectResponse(f"/readings/{reading.reference}", status_code=303)


@router.get("/readings/{reference}", response_class=HTMLResponse)
def my_reading(
    request: Request, reference: str, locale: Locale, citizen: CurrentCitizen, db: DbRead
) -> Response:
    """One reading: its reference, what was sent, and what became of it."""
    followed = service.get_my_reading(db=db, citizen=citizen, reference=reference)
    return _render(request, "readings/show.html", followed=followed)


@router.get("/admin/readings", response_class=HTMLResponse)
def staff_readings(
    request: Request,
    locale: Locale,
    staff: CurrentStaff,
    database: DatabaseDep,
    day: str = "",
) -> Response:
    """The readings of a Baku day (today by default), the implausible first."""
    chosen = service.parse_day(day, today=clock.today())
    found = service.readings_of_day(database=database, staff=staff, day=chosen)
    return _render(request, "admin/readings.html", readings=found, day=chosen.isoformat())


@router.get("/admin/readings/{reference}/photo")
def staff_reading_photo(reference: str, staff: CurrentStaff, db: DbRead) -> Response:
    """The meter photo of a reading, sandboxed and never cached."""
    return photo_response(service.get_staff_photo(db=db, reference=reference))
