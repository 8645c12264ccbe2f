"""Meter readings under ``/api/v1``: a citizen submits and follows them; the billing system
collects them with a channel's ``X-Api-Key``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from waterbill.auth.errors import Unauthenticated
from waterbill.disputes.errors import (
    FormUnreadable,
    PhotoTooLarge,
    PhotoUndecodable,
    PhotoWrongType,
)
from waterbill.errors import MalformedCode, NotHousehold, UnknownCode
from waterbill.ingest.channels import InvalidApiKey
from waterbill.readings import service
from waterbill.readings.errors import (
    MalformedCursor,
    MalformedReading,
    MalformedReadOn,
    NoMeter,
    NotAllowedToSubmit,
    OutsideWindow,
    ReadingDecreased,
    ReadingImplausible,
    ReadingNotFound,
    ReadingRateLimited,
)
from waterbill.readings.schemas import (
    ExportedReading,
    ExportOut,
    ReadingBody,
    ReadingIn,
    ReadingOut,
)
from waterbill.web.deps import ApiCsrf, CurrentCitizen, DatabaseDep, DbRead, SettingsDep
from waterbill.web.errors import errors_of
from waterbill.web.forms import read_submission, submit

router = APIRouter(prefix="/api/v1", tags=["meter readings"])


_SUBMIT_ERRORS = errors_of(
    Unauthenticated,
    NotAllowedToSubmit,
    NotHousehold,
    UnknownCode,
    NoMeter,
    PhotoTooLarge,
    PhotoWrongType,
    MalformedCode,
    MalformedReading,
    MalformedReadOn,
    OutsideWindow,
    ReadingDecreased,
    ReadingImplausible,
    PhotoUndecodable,
    FormUnreadable,
    ReadingRateLimited,
)
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReadingIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    **ReadingIn.model_json_schema(),
                    "properties": {
                        **ReadingIn.model_json_schema()["properties"],
                        "photo": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


@router.post(
    "/readings",
    status_code=201,
    response_model=ReadingOut,
    responses=_SUBMIT_ERRORS,
    dependencies=[ApiCsrf],
    openapi_extra=_BODY,
)
async def submit_reading(
    request: Request, citizen: CurrentCitizen, database: DatabaseDep, settings: SettingsDep
) -> ReadingOut:
    """Submits the current reading of the account's mechanical meter, with an optional photo."""
    submission, _ = await read_submission(request)
    reading = await submit(database, citizen, settings, submission, channel="api")

    found = await run_in_threadpool(
        service.submitted_reading,
        database=database,
        citizen=citizen,
        reference=reading.reference,
    )
    return ReadingOut(reading=ReadingBody.of(found))


@router.get(
    "/readings/{reference}",
    response_model=ReadingOut,
    responses=errors_of(Unauthenticated, ReadingNotFound),
)
def my_reading(reference: str, citizen: CurrentCitizen, db: DbRead) -> ReadingOut:
    """One reading of an account the citizen may submit on, with its status."""
    return ReadingOut(
        reading=ReadingBody.of(service.get_my_reading(db=db, citizen=citizen, reference=reference))
    )


@router.get(
    "/readings",
    response_model=ExportOut,
    responses=errors_of(InvalidApiKey, MalformedCursor),
)
def collect_readings(
    database: DatabaseDep,
    settings: SettingsDep,
    x_api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None,
    since: Annotated[str | None, Query(examples=["0", "123"])] = None,
    limit: Annotated[int, Query(ge=1, le=service.EXPORT_PAGE_MAX)] = service.EXPORT_PAGE_MAX,
) -> ExportOut:
    """Readings after the cursor ``since``, each exactly once per cursor (header X-Api-Key)."""
    page = service.export_to_channel(database=database, key=x_api_key, since=since, limit=limit)
    return export_out(page, base_url=settings.base_url)


def export_out(page: service.ExportPage, *, base_url: str) -> ExportOut:
    return ExportOut(
        readings=[ExportedReading.of(reading, base_url=base_url) for reading in page.readings],
        next_cursor=str(page.next_cursor),
        more=page.more,
    )
