"""Meter readings under ``/api/v1``: a citizen submits and follows them; the billing system
collects them with a channel's ``X-Api-Key``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from waterbill.audit.tags import Channel
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes.errors import FormUnreadable
from waterbill.readings import service
from waterbill.readings.domain import Reading
from waterbill.readings.schemas import (
    ExportedReading,
    ExportOut,
    ReadingBody,
    ReadingIn,
    ReadingOut,
)
from waterbill.web.deps import CurrentCitizen, DatabaseDep, DbRead, SettingsDep
from waterbill.web.dispute_api import ApiCsrf, errors_of
from waterbill.web.dispute_forms import read_upload_form

# HTTP status of each refusal of the reading service, merged into the app's table.
STATUS_BY_CODE = {
    "no_meter": 409,
    "malformed_reading": 422,
    "malformed_date": 422,
    "outside_window": 422,
    "reading_decreased": 422,
    "reading_implausible": 422,
    "reading_not_found": 404,
    "malformed_cursor": 422,
}
FIELDS = ("subscriber_code", "reading", "read_on", "confirm_implausible", "csrf_token")
_YES = frozenset({"1", "true", "on", "yes"})

router = APIRouter(prefix="/api/v1", tags=["meter readings"])


async def read_submission(request: Request) -> tuple[service.Submission, str]:
    """The submission and the form's CSRF token, from a JSON body or a multipart form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        values, photo = await read_upload_form(request, FIELDS)
    else:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise FormUnreadable(reason="malformed") from None
        if not isinstance(body, dict):
            raise FormUnreadable(reason="malformed")
        values = {name: _text(body.get(name)) for name in FIELDS}
        photo = None
    submission = service.Submission(
        code=values["subscriber_code"],
        reading=values["reading"],
        read_on=values["read_on"],
        photo=photo,
        confirm_implausible=values["confirm_implausible"].strip().lower() in _YES,
    )
    return submission, values["csrf_token"]


async def submit(
    database: Database,
    citizen: Citizen,
    settings: Settings,
    submission: service.Submission,
    *,
    channel: Channel,
) -> Reading:
    """The reading service with the configured rules, off the event loop."""
    return await run_in_threadpool(
        lambda: service.submit_reading(
            database=database,
            citizen=citizen,
            submission=submission,
            rules=service.rules_from(settings),
            code_length=settings.code_length_range,
            channel=channel,
        )
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    # A JSON number is taken as written: 1234.5 stays 1234.5, never a binary approximation.
    return str(value)


_SUBMIT_ERRORS = errors_of(
    (403, "forbidden: neither the holder nor authorised by the holder; not_household"),
    (404, "unknown_code"),
    (409, "no_meter: a smart-card meter or no meter has no reading to submit"),
    (413, "photo_too_large"),
    (415, "photo_wrong_type"),
    (
        422,
        "malformed_code, malformed_reading, malformed_date, outside_window (a future date or "
        "older than WATERBILL_READING_MAX_AGE_DAYS), reading_decreased, reading_implausible, "
        "photo_undecodable, validation_error",
    ),
    (429, "rate_limited: too many readings on this account today"),
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
    responses=errors_of((404, "reading_not_found")),
)
def my_reading(reference: str, citizen: CurrentCitizen, db: DbRead) -> ReadingOut:
    """One reading of an account the citizen may submit on, with its status."""
    return ReadingOut(
        reading=ReadingBody.of(service.get_my_reading(db=db, citizen=citizen, reference=reference))
    )


@router.get(
    "/readings",
    response_model=ExportOut,
    responses=errors_of((422, "malformed_cursor")),
)
def collect_readings(
    request: Request,
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
