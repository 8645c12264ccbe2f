"""The public performance page, its JSON and CSV, and the one question after a statement."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from waterbill.auth.errors import Forbidden
from waterbill.auth.sessions import csrf_matches
from waterbill.disputes.errors import TextNotPrintable, TextTooLong
from waterbill.errors import RateLimited, ServiceError
from waterbill.i18n.messages import refusal_message
from waterbill.performance.domain import MalformedRating
from waterbill.performance.schemas import PerformanceOut, csv_rows, performance_json
from waterbill.performance.service import (
    Report,
    feedback_comments,
    leave_feedback,
    performance_report,
)
from waterbill.presentation.performance import performance_view
from waterbill.spreadsheet import csv_writer
from waterbill.web.deps import CurrentStaff, DatabaseDep, DbRead, Locale, SessionDep, SettingsDep
from waterbill.web.errors import errors_of
from waterbill.web.templating import Templates

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["performance"])

FEEDBACK_WINDOW = 3600


def _report(db: DbRead, settings: SettingsDep) -> Report:
    return performance_report(
        db=db,
        cost_per_transaction=settings.performance_cost_per_transaction,
        other_channel_transactions_per_day=settings.performance_other_channel_transactions_per_day,
    )


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


@router.get("/performance", response_class=HTMLResponse)
def performance_page(
    request: Request, locale: Locale, session: SessionDep, db: DbRead, settings: SettingsDep
) -> Response:
    """The service's figures of the last 30 days: charts, text and a table."""
    view = performance_view(_report(db, settings), locale)
    return _templates(request).response(request, "performance.html", view=view)


@router.get("/performance.csv")
def performance_csv(db: DbRead, settings: SettingsDep) -> Response:
    """The daily rows as open data: UTF-8, comma-separated, one row a day."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=",", lineterminator="\r\n")
    for row in csv_rows(_report(db, settings)):
        writer.writerow(row)
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="azersu-performance.csv"'},
    )


@api_router.get("/performance", responses={200: {"model": PerformanceOut}})
def performance_api(db: DbRead, settings: SettingsDep) -> JSONResponse:
    """The service's figures of the last 30 days (no sign-in, no personal data)."""
    return JSONResponse(performance_json(_report(db, settings)))


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rating: Any = None
    comment: str | None = None


async def _limit_feedback(request: Request, session_key: str | None) -> None:
    """A few answers per citizen (or, signed out, per address) an hour."""
    client = request.client.host if request.client else "unknown"
    key = f"feedback:{session_key or client}"
    ops = request.app.state.ops
    count, left = await ops.limiter.backend.count(key, window=FEEDBACK_WINDOW)
    if count > ops.settings.feedback_per_hour:
        raise RateLimited(retry_after=max(1, int(left)))


def _session_key(session: SessionDep) -> str | None:
    if session is None or session.citizen is None:
        return None
    return session.citizen.pseudonym


# Forbidden: a session cookie without its CSRF token; the text refusals concern the comment.
_FEEDBACK_ERRORS = errors_of(Forbidden, MalformedRating, TextTooLong, TextNotPrintable, RateLimited)


@api_router.post("/feedback", status_code=201, responses=_FEEDBACK_ERRORS)
async def feedback_api(
    request: Request, body: FeedbackIn, session: SessionDep, database: DatabaseDep
) -> JSONResponse:
    """One answer to "How easy was it?" (1–5, an optional comment), signed in or not."""
    # The session cookie is sent by any site's form: it must come with the session's token.
    token = request.headers.get("x-csrf-token")
    if session is not None and not _bearer(request) and not csrf_matches(session, token):
        raise Forbidden(reason="csrf")
    await _limit_feedback(request, _session_key(session))
    await _store(database, body.rating, body.comment)
    return JSONResponse({"feedback": {"received": True}}, status_code=201)


def _bearer(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


async def _store(database: DatabaseDep, rating: object, comment: str | None) -> None:
    await run_in_threadpool(leave_feedback, database=database, rating=rating, comment=comment)


@router.get("/feedback", response_class=HTMLResponse)
def feedback_form(request: Request, locale: Locale, session: SessionDep) -> Response:
    """The one question, on a page of its own (the statement page carries the same form)."""
    return _feedback_page(request, locale, error=None, status_code=200)


def _feedback_page(
    request: Request,
    locale: str,
    *,
    error: str | None,
    status_code: int,
    rating: str = "",
    comment: str = "",
) -> Response:
    return _templates(request).response(
        request,
        "feedback.html",
        status_code=status_code,
        error=error,
        rating=rating,
        comment=comment,
    )


@router.post("/feedback", response_class=HTMLResponse)
async def feedback_post(
    request: Request,
    locale: Locale,
    session: SessionDep,
    database: DatabaseDep,
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The form's answer: thanks, or the form again with what to fix."""
    if session is not None and not csrf_matches(session, csrf_token):
        raise Forbidden(reason="csrf")
    await _limit_feedback(request, _session_key(session))
    try:
        await _store(database, rating, comment)
    except ServiceError as refusal:
        message = refusal_message(refusal, locale)
        return _feedback_page(
            request,
            locale,
            error=message,
            status_code=refusal.status,
            rating=rating,
            comment=comment,
        )
    return RedirectResponse("/feedback/thanks", status_code=303)


@router.get("/feedback/thanks", response_class=HTMLResponse)
def feedback_thanks(request: Request, locale: Locale, session: SessionDep) -> Response:
    """Thanks for the answer."""
    return _templates(request).response(request, "feedback_thanks.html")


@router.get("/admin/feedback", response_class=HTMLResponse)
def staff_feedback(
    request: Request, locale: Locale, staff: CurrentStaff, database: DatabaseDep
) -> Response:
    """The newest comments of the feedback, for the staff only."""
    comments = feedback_comments(database=database, staff=staff)
    return _templates(request).response(request, "admin/feedback.html", comments=comments)
