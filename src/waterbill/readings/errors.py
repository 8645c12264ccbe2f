"""Refusals of the reading service, each with a stable code (messages in ``waterbill.i18n``).

``no_meter``, ``reading_decreased``, ``reading_implausible``, ``outside_window`` and ``forbidden``
are named in the contract; the others follow the disputes' and the API's codes.
"""

from __future__ import annotations

from waterbill.errors import ServiceError


class NoMeter(ServiceError):
    """No mechanical meter: ``reason`` is ``smart_card`` or ``none``."""

    code = "no_meter"
    status = 409


class MalformedReading(ServiceError):
    code = "malformed_reading"
    status = 422


class MalformedReadOn(ServiceError):
    code = "malformed_date"
    status = 422


class OutsideWindow(ServiceError):
    """The date cannot be used at all: in the future, or older than the accepted age."""

    code = "outside_window"
    status = 422


class ReadingDecreased(ServiceError):
    code = "reading_decreased"
    status = 422


class ReadingImplausible(ServiceError):
    code = "reading_implausible"
    status = 422


class NotAllowedToSubmit(ServiceError):
    """Neither the holder of the account nor a citizen the holder authorised."""

    code = "forbidden"
    status = 403
    message_id = "forbidden.reading"


class ReadingRateLimited(ServiceError):
    code = "rate_limited"
    status = 429
    message_id = "rate_limited.readings_daily"


class ReadingNotFound(ServiceError):
    code = "reading_not_found"
    status = 404


class MalformedCursor(ServiceError):
    code = "malformed_cursor"
    status = 422
