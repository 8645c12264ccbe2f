"""``POST /api/v1/payments``: payment channels report payments as they happen.

The app includes ``router`` and keeps its ``Database`` in ``app.state.database``. Refusals use the
API's one error shape, ``{"error": {"code", "message"}}``, with the message in the language asked
for (``Accept-Language``: az, en or ru; Azerbaijani by default), from the web app's gettext
catalogs, and the field named: the feed's rules (``waterbill.ingest.payments``) refuse a payment
with every problem of its fields, not with one refusal class, so this route answers them itself.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from waterbill.db.database import Database
from waterbill.i18n.catalogs import negotiate
from waterbill.i18n.marker import _
from waterbill.i18n.messages import refusal_message
from waterbill.ingest.channels import InvalidApiKey
from waterbill.ingest.intake import RecordedPayment, channel_of, receive_payment
from waterbill.ingest.problems import Rejected
from waterbill.ingest.texts import message_in

router = APIRouter(prefix="/api/v1", tags=["payments"])

# The feed's problems that conflict with a payment already stored (409); any other is a 422.
_CONFLICTS = frozenset({"payment_conflict", "reversal_exceeds_payment"})
_NOT_JSON = _("the body must be JSON, sent with Content-Type: application/json")
_DUPLICATE_KEY = _("the field appears more than once in the body")
_FIELD_MESSAGES = {
    "missing": _("the field is required"),
    "extra_forbidden": _("no such field"),
}
# Any other type keeps pydantic's own English detail in English.
_INVALID_FIELD = _("the value is not valid")


class PaymentIn(BaseModel):
    """A payment as the channel reports it; the channel is the one that owns the key."""

    model_config = ConfigDict(extra="forbid")

    payment_id: str = Field(min_length=1, max_length=64, examples=["T-2026-000451"])
    subscriber_code: str = Field(min_length=1, max_length=32, examples=["0104410203"])
    paid_at: datetime = Field(
        description="ISO 8601; without an offset it is Baku time",
        examples=["2026-11-26T09:15:00+04:00"],
    )
    amount: Decimal = Field(
        description="Manat, 2 decimals; negative only for a reversal", examples=["12.50"]
    )
    reverses: str | None = Field(
        default=None, max_length=64, description="The payment_id this payment reverses"
    )


class PaymentOut(BaseModel):
    payment_id: str
    channel: str
    subscriber_code: str
    paid_at: datetime
    amount: str = Field(examples=["12.50"])
    reverses: str | None
    received_at: datetime

    @classmethod
    def of(cls, payment: RecordedPayment) -> PaymentOut:
        return cls(
            payment_id=payment.payment_id,
            channel=payment.channel,
            subscriber_code=payment.subscriber_code,
            paid_at=payment.paid_at,
            amount=f"{payment.amount:.2f}",
            reverses=payment.reverses,
            received_at=payment.received_at,
        )


class PaymentErrorDetail(BaseModel):
    """The API's error shape, naming the refused field too."""

    code: str
    message: str
    field: str | None = None


class PaymentErrorOut(BaseModel):
    error: PaymentErrorDetail


def _language(request: Request) -> str:
    return negotiate(accept_language=request.headers.get("accept-language"))


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = PaymentErrorOut(error=PaymentErrorDetail(code=code, message=message, field=field))
    return JSONResponse(status_code=status, content=body.model_dump(mode="json", exclude_none=True))


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _duplicate_key(body: bytes) -> str | None:
    """The first key an object of the body repeats. Parsers differ on which one wins (the
    first, the last), so a body with two ``amount`` keys could mean two payments."""
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as duplicate:
        return duplicate.key
    except (ValueError, RecursionError):
        return None  # not JSON at all: the model's parser names what is wrong
    return None


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def _invalid_body(error: ValidationError, language: str) -> JSONResponse:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    msgid = _FIELD_MESSAGES.get(first["type"])
    if msgid is None and language == "en":
        text = first["msg"]
    else:
        text = message_in(language, msgid or _INVALID_FIELD)
    message = f"{field}: {text}"
    return _error(422, "invalid_value", message, field)


_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PaymentIn.model_json_schema()}},
    }
}


@router.post(
    "/payments",
    status_code=201,
    response_model=PaymentOut,
    responses={
        200: {"model": PaymentOut, "description": "The same payment again: the stored answer"},
        401: {"model": PaymentErrorOut, "description": "The API key is missing, wrong or revoked"},
        415: {
            "model": PaymentErrorOut,
            "description": "The body is not sent as `application/json` (`unsupported_media_type`)",
        },
        409: {
            "model": PaymentErrorOut,
            "description": "This payment_id holds another payment (`payment_conflict`), or the "
            "payment's reversals would exceed it (`reversal_exceeds_payment`)",
        },
        422: {
            "model": PaymentErrorOut,
            "description": "Invalid; the field is named (`invalid_value`, `duplicate_key`, "
            "`amount_above_ceiling`, `unknown_subscriber`, `unknown_reversed_payment`, "
            "`reversal_mismatch`)",
        },
    },
    openapi_extra=_REQUEST_BODY,
)
async def post_payment(
    request: Request,
    x_api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None,
) -> JSONResponse:
    """Record a payment made through the calling channel; repeating it is safe."""
    language = _language(request)
    database: Database = request.app.state.database

    try:
        channel = await run_in_threadpool(channel_of, database=database, key=x_api_key)
    except InvalidApiKey as refusal:
        return _error(refusal.status, refusal.code, refusal_message(refusal, language))
    if not _is_json(request.headers.get("content-type")):
        return _error(415, "unsupported_media_type", message_in(language, _NOT_JSON))
    body = await request.body()
    duplicate = _duplicate_key(body)
    if duplicate is not None:
        text = message_in(language, _DUPLICATE_KEY)
        return _error(422, "duplicate_key", f"{duplicate}: {text}", duplicate)
    try:
        payment = PaymentIn.model_validate_json(body)
    except ValidationError as error:
        # A body that is not even JSON still gets the API's error shape, naming what is wrong.
        return _invalid_body(error, language)

    try:
        recorded = await run_in_threadpool(
            receive_payment,
            database=database,
            channel=channel,
            payment_id=payment.payment_id,
            subscriber_code=payment.subscriber_code,
            paid_at=payment.paid_at,
            amount=payment.amount,
            reverses=payment.reverses,
        )
    except Rejected as refusal:
        problem = refusal.first
        text = problem.message(language)
        return _error(
            409 if problem.code in _CONFLICTS else 422,
            problem.code,
            f"{problem.column}: {text}",
            problem.column,
        )
    return JSONResponse(
        status_code=201 if recorded.created else 200,
        content=PaymentOut.of(recorded).model_dump(mode="json"),
    )
