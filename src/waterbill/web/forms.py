"""The forms with a meter photo (disputes, readings), read with the size bounded before they are
parsed, and the photo served back; shared by their pages and their API."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from waterbill.audit.tags import Channel
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes.domain import Photo
from waterbill.disputes.errors import FormUnreadable, PhotoTooLarge
from waterbill.disputes.photos import MAX_PHOTO_BYTES
from waterbill.readings import service as readings
from waterbill.readings.domain import Reading

# The photo plus the text fields and the multipart framing around them.
MAX_BODY_BYTES = MAX_PHOTO_BYTES + 64 * 1024
_FIELDS = ("code", "period", "service", "reason", "text", "csrf_token")
_READING_FIELDS = ("subscriber_code", "reading", "read_on", "confirm_implausible", "csrf_token")
_YES = frozenset({"1", "true", "on", "yes"})

# Refusal codes that concern one field of the form: the form is shown again with the message.
FORM_ERRORS = frozenset(
    {
        "malformed_period",
        "period_outside_statement",
        "unknown_service",
        "service_not_provided",
        "unknown_reason",
        "text_required",
        "text_too_long",
        "text_not_printable",
        "photo_too_large",
        "photo_wrong_type",
        "photo_undecodable",
        "dispute_already_open",
        "rate_limited",
    }
)


@dataclass(frozen=True, slots=True)
class DisputeForm:
    code: str
    period: str
    service: str
    reason: str
    text: str
    csrf_token: str
    photo: bytes | None


async def read_upload_form(
    request: Request, fields: tuple[str, ...]
) -> tuple[dict[str, str], bytes | None]:
    """The text fields and the ``photo`` of a form with a meter photo (disputes, readings).

    The declared length is checked first, so nothing huge is read: browsers and HTTP clients send
    a Content-Length with a form, and the server never reads past it.
    """
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise FormUnreadable(reason="length_required")
    if int(declared) > MAX_BODY_BYTES:
        raise PhotoTooLarge(max_mb=MAX_PHOTO_BYTES // (1024 * 1024))
    try:
        form = await request.form(max_files=1, max_fields=len(fields) + 2)
    except (HTTPException, MultiPartException) as error:
        # Starlette's refusal of a malformed body or of too many parts, in our own terms.
        raise FormUnreadable(reason="malformed") from error
    values = {name: form.get(name) for name in fields}
    upload = form.get("photo")
    photo: bytes | None = None
    if isinstance(upload, UploadFile):
        photo = await upload.read(MAX_PHOTO_BYTES + 1) or None
        await upload.close()
    return {name: value if isinstance(value, str) else "" for name, value in values.items()}, photo


async def read_dispute_form(request: Request) -> DisputeForm:
    """The fields of a filing (see ``read_upload_form``)."""
    values, photo = await read_upload_form(request, _FIELDS)
    return DisputeForm(**values, photo=photo)


async def read_submission(request: Request) -> tuple[readings.Submission, str]:
    """A meter reading and the form's CSRF token, from a JSON body or a multipart form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        values, photo = await read_upload_form(request, _READING_FIELDS)
    else:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise FormUnreadable(reason="malformed") from None
        if not isinstance(body, dict):
            raise FormUnreadable(reason="malformed")
        values = {name: _text(body.get(name)) for name in _READING_FIELDS}
        photo = None
    submission = readings.Submission(
        code=values["subscriber_code"],
        reading=values["reading"],
        read_on=values["read_on"],
        photo=photo,
        confirm_implausible=values["confirm_implausible"].strip().lower() in _YES,
    )
    return submission, values["csrf_token"]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    # A JSON number is taken as written: 1234.5 stays 1234.5, never a binary approximation.
    return str(value)


async def submit(
    database: Database,
    citizen: Citizen,
    settings: Settings,
    submission: readings.Submission,
    *,
    channel: Channel,
) -> Reading:
    """The reading service with the configured rules, off the event loop."""
    return await run_in_threadpool(
        lambda: readings.submit_reading(
            database=database,
            citizen=citizen,
            submission=submission,
            rules=readings.rules_from(settings),
            code_length=settings.code_length_range,
            channel=channel,
        )
    )


def photo_response(photo: Photo) -> Response:
    return Response(
        photo.data,
        media_type=photo.media_type,
        headers={
            # The photo shows a meter in someone's home: no shared or browser cache keeps it.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            # A fixed name: neither the reference nor anything of the citizen's own file name.
            "Content-Disposition": f'inline; filename="saygac-foto.{photo.extension}"',
        },
    )
