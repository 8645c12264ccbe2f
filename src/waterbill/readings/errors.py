"""Refusals of the reading service, each with a stable code (messages in ``waterbill.i18n``).

``no_meter``, ``reading_decreased``, ``reading_implausible``, ``outside_window`` and ``forbidden``
are named in the contract; the others follow the disputes' and the API's codes.
"""

from __future__ import annotations

from waterbill.errors import ServiceError


class NoMeter(ServiceError):
    """No mechanical meter: ``reason`` is ``smart_card`` or ``none``."""

    code = "no_meter"


class MalformedReading(ServiceError):
    code = "malformed_reading"


class MalformedReadOn(ServiceError):
    code = "malformed_date"


class OutsideWindow(ServiceError):
    """The date cannot be used at all: in the future, or older than the accepted age."""

    code = "outside_window"


class ReadingDecreased(ServiceError):
    code = "reading_decreased"


class ReadingImplausible(ServiceError):
    code = "reading_implausible"


class NotAllowedToSubmit(ServiceError):
    """Neither the holder of the account nor a citizen the holder authorised."""

    code = "forbidden"


class ReadingRateLimited(ServiceError):
    code = "rate_limited"


class ReadingNotFound(ServiceError):
    code = "reading_not_found"


class MalformedCursor(ServiceError):
    code = "malformed_cursor"
