"""The dispute API under ``/api/v1``: the citizen's requests, and the staff's queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.disputes import service
from waterbill.disputes.errors import (
    DisputeAlreadyOpen,
    DisputeNotFound,
    DisputeRateLimited,
    DisputeStatusConflict,
    FormUnreadable,
    MalformedPeriod,
    NotAllowedToDispute,
    NotStaff,
    PeriodOutsideStatement,
    PhotoTooLarge,
    PhotoUndecodable,
    PhotoWrongType,
    ServiceNotProvided,
    TextNotPrintable,
    TextRequired,
    TextTooLong,
    UnknownReason,
    UnknownService,
    UnknownStatus,
)
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
from waterbill.errors import MalformedCode, RateLimited
from waterbill.web.deps import (
    ApiCsrf,
    CurrentCitizen,
    CurrentStaff,
    DatabaseDep,
    DbRead,
    SettingsDep,
    enforce_code_limit,
)
from waterbill.web.errors import errors_of
from waterbill.web.forms import read_dispute_form

# No household with the code answers as "not authorised" (forbidden): the same answer.
_FILE_ERRORS = errors_of(
    Unauthenticated,
    NotAllowedToDispute,
    DisputeAlreadyOpen,
    PhotoTooLarge,
    PhotoWrongType,
    MalformedCode,
    MalformedPeriod,
    PeriodOutsideStatement,
    UnknownService,
    ServiceNotProvided,
    UnknownReason,
    TextRequired,
    TextTooLong,
    TextNotPrintable,
    PhotoUndecodable,
    FormUnreadable,
    DisputeRateLimited,
    RateLimited,
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


@router.get("/disputes", response_model=DisputeListOut, responses=errors_of(Unauthenticated))
def my_disputes(citizen: CurrentCitizen, db: DbRead) -> DisputeListOut:
    """The requests the signed-in citizen filed, newest first."""
    found = service.list_my_disputes(db=db, citizen=citizen)
    return DisputeListOut(disputes=[DisputeOut.from_dispute(dispute) for dispute in found])


@router.get(
    "/disputes/{reference}",
    response_model=DisputeDetailOut,
    responses=errors_of(Unauthenticated, DisputeNotFound),
)
def my_dispute(reference: str, citizen: CurrentCitizen, db: DbRead) -> DisputeDetailOut:
    """One request with its answer and history."""
    detail = service.get_my_dispute(db=db, citizen=citizen, reference=reference)
    return DisputeDetailOut.from_detail(detail)


@staff_router.get(
    "/disputes",
    response_model=StaffDisputeListOut,
    responses=errors_of(Unauthenticated, NotStaff, UnknownStatus, MalformedCode, MalformedPeriod),
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
    responses=errors_of(Unauthenticated, NotStaff, DisputeNotFound),
)
def staff_dispute(
    reference: str, staff: CurrentStaff, database: DatabaseDep
) -> StaffDisputeDetailOut:
    """One request with its full history, actors included."""
    return StaffDisputeDetailOut.from_detail(
        service.get_for_staff(database=database, reference=reference)
    )


_MOVE_ERRORS = errors_of(
    Unauthenticated,
    NotStaff,
    Forbidden,
    DisputeNotFound,
    DisputeStatusConflict,
    TextRequired,
    TextTooLong,
    TextNotPrintable,
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
