"""The dispute API under ``/api/v1``: the citizen's requests, and the staff's queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.auth.sessions import csrf_matches
from waterbill.disputes import service
from waterbill.disputes.access import is_staff
from waterbill.disputes.errors import NotStaff
from waterbill.disputes.schemas import (
    AnswerIn,
    CloseIn,
    DisputeDetailOut,
    DisputeFormIn,
    DisputeListOut,
    DisputeOut,
    StaffDisputeDetailOut,
    StaffDisputeListOut,
    StaffDisputeOut,
)
from waterbill.web.api import ErrorOut
from waterbill.web.deps import (
    CurrentCitizen,
    DatabaseDep,
    DbRead,
    SettingsDep,
    enforce_code_limit,
    get_web_session,
)
from waterbill.web.dispute_forms import read_dispute_form

# HTTP status of each refusal of the dispute service, merged into the app's table.
STATUS_BY_CODE = {
    "malformed_period": 422,
    "period_outside_statement": 422,
    "unknown_service": 422,
    "service_not_provided": 422,
    "unknown_reason": 422,
    "unknown_status": 422,
    "text_required": 422,
    "text_too_long": 422,
    "text_not_printable": 422,
    "photo_too_large": 413,
    "photo_wrong_type": 415,
    "photo_undecodable": 422,
    "dispute_already_open": 409,
    "dispute_not_found": 404,
    "dispute_status_conflict": 409,
    "rate_limited": 429,
}


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


CurrentStaff = Annotated[Citizen, Depends(get_staff)]
ApiCsrf = Depends(check_api_csrf)


def errors_of(*codes: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    found: dict[int, list[str]] = {401: ["unauthenticated"]}
    for status, code in codes:
        found.setdefault(status, []).append(code)
    return {
        status: {"model": ErrorOut, "description": ", ".join(names)}
        for status, names in sorted(found.items())
    }


_FILE_ERRORS = errors_of(
    (
        403,
        "forbidden: neither the holder nor authorised by the holder, or no household has this "
        "code (the same answer)",
    ),
    (409, "dispute_already_open"),
    (413, "photo_too_large"),
    (415, "photo_wrong_type"),
    (
        422,
        "malformed_code, malformed_period, period_outside_statement, unknown_service, "
        "service_not_provided, unknown_reason, text_required, text_too_long, text_not_printable, "
        "photo_undecodable, validation_error",
    ),
    (429, "rate_limited: too many requests today, or too many distinct subscriber codes"),
)
_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": DisputeFormIn.model_json_schema()}},
    }
}

router = APIRouter(prefix="/api/v1", tags=["disputes"])
staff_router = APIRouter(prefix="/api/v1/admin", tags=["disputes (staff)"])


@router.post(
    "/disputes",
    status_code=201,
    response_model=DisputeOut,
    responses=_FILE_ERRORS,
    dependencies=[ApiCsrf],
    openapi_extra=_FORM_SCHEMA,
)
async def file_dispute(
    request: Request, citizen: CurrentCitizen, database: DatabaseDep, settings: SettingsDep
) -> DisputeOut:
    """Files a debt-investigation request on one month and service (multipart form)."""
    form = await read_dispute_form(request)
    await enforce_code_limit(request, citizen, form.code)
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
            channel="api",
        )
    )
    return DisputeOut.from_dispute(dispute)


@router.get("/disputes", response_model=DisputeListOut, responses=errors_of())
def my_disputes(citizen: CurrentCitizen, db: DbRead) -> DisputeListOut:
    """The requests the signed-in citizen filed, newest first."""
    found = service.list_my_disputes(db=db, citizen=citizen)
    return DisputeListOut(disputes=[DisputeOut.from_dispute(dispute) for dispute in found])


@router.get(
    "/disputes/{reference}",
    response_model=DisputeDetailOut,
    responses=errors_of((404, "dispute_not_found")),
)
def my_dispute(reference: str, citizen: CurrentCitizen, db: DbRead) -> DisputeDetailOut:
    """One request with its answer and history."""
    detail = service.get_my_dispute(db=db, citizen=citizen, reference=reference)
    return DisputeDetailOut.from_detail(detail)


@staff_router.get(
    "/disputes",
    response_model=StaffDisputeListOut,
    responses=errors_of(
        (403, "forbidden"), (422, "unknown_status, malformed_code, malformed_period")
    ),
)
def staff_disputes(
    staff: CurrentStaff,
    db: DbRead,
    settings: SettingsDep,
    status: str | None = None,
    code: str | None = None,
    period: Annotated[str | None, Query(examples=["2026-09"])] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=service.MAX_OFFSET)] = 0,
) -> StaffDisputeListOut:
    """Requests filtered by status, subscriber code and month, oldest first."""
    where = service.staff_filter(
        status=status,
        code=code,
        period=period,
        limit=limit,
        offset=offset,
        code_length=settings.code_length_range,
    )
    found, total = service.list_for_staff(db=db, where=where)
    return StaffDisputeListOut(
        disputes=[StaffDisputeOut.from_dispute(dispute) for dispute in found],
        total=total,
        limit=where.limit,
        offset=where.offset,
    )


@staff_router.get(
    "/disputes/{reference}",
    response_model=StaffDisputeDetailOut,
    responses=errors_of((403, "forbidden"), (404, "dispute_not_found")),
)
def staff_dispute(
    reference: str, staff: CurrentStaff, database: DatabaseDep
) -> StaffDisputeDetailOut:
    """One request with its full history, actors included."""
    return StaffDisputeDetailOut.from_detail(
        service.get_for_staff(database=database, reference=reference)
    )


_MOVE_ERRORS = errors_of(
    (403, "forbidden"),
    (404, "dispute_not_found"),
    (409, "dispute_status_conflict"),
    (422, "text_required, text_too_long, text_not_printable"),
)


@staff_router.post(
    "/disputes/{reference}/review",
    response_model=StaffDisputeOut,
    responses=_MOVE_ERRORS,
    dependencies=[ApiCsrf],
)
def review(reference: str, staff: CurrentStaff, database: DatabaseDep) -> StaffDisputeOut:
    """Marks a received request as under review."""
    moved = service.start_review(database=database, staff=staff, reference=reference, channel="api")
    return StaffDisputeOut.from_dispute(moved)


@staff_router.post(
    "/disputes/{reference}/answer",
    response_model=StaffDisputeOut,
    responses=_MOVE_ERRORS,
    dependencies=[ApiCsrf],
)
def answer(
    reference: str, body: AnswerIn, staff: CurrentStaff, database: DatabaseDep
) -> StaffDisputeOut:
    """Answers a request; the citizen reads the answer beside the disputed month."""
    moved = service.answer_dispute(
        database=database, staff=staff, reference=reference, answer=body.answer, channel="api"
    )
    return StaffDisputeOut.from_dispute(moved)


@staff_router.post(
    "/disputes/{reference}/close",
    response_model=StaffDisputeOut,
    responses=_MOVE_ERRORS,
    dependencies=[ApiCsrf],
)
def close(
    reference: str, body: CloseIn, staff: CurrentStaff, database: DatabaseDep
) -> StaffDisputeOut:
    """Closes a request, with an optional note."""
    moved = service.close_dispute(
        database=database, staff=staff, reference=reference, note=body.note, channel="api"
    )
    return StaffDisputeOut.from_dispute(moved)
