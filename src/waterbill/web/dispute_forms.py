"""Reading a dispute filing from a multipart form, with the size bounded before it is parsed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from waterbill.disputes.errors import FormUnreadable, PhotoTooLarge
from waterbill.disputes.photos import MAX_PHOTO_BYTES

# The photo plus the text fields and the multipart framing around them.
MAX_BODY_BYTES = MAX_PHOTO_BYTES + 64 * 1024
_FIELDS = ("code", "period", "service", "reason", "text", "csrf_token")

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
