"""Refusals of the dispute service, each with a stable code (messages in ``messages.py``)."""

from __future__ import annotations

from waterbill.errors import ServiceError


class MalformedPeriod(ServiceError):
    code = "malformed_period"


class PeriodOutsideStatement(ServiceError):
    """Only the months the statement shows can be disputed."""

    code = "period_outside_statement"


class UnknownService(ServiceError):
    code = "unknown_service"


class ServiceNotProvided(ServiceError):
    code = "service_not_provided"


class UnknownReason(ServiceError):
    code = "unknown_reason"


class TextRequired(ServiceError):
    code = "text_required"


class TextTooLong(ServiceError):
    code = "text_too_long"


class TextNotPrintable(ServiceError):
    code = "text_not_printable"


class PhotoTooLarge(ServiceError):
    code = "photo_too_large"


class PhotoWrongType(ServiceError):
    code = "photo_wrong_type"


class PhotoUndecodable(ServiceError):
    code = "photo_undecodable"


class DisputeAlreadyOpen(ServiceError):
    code = "dispute_already_open"


class DisputeNotFound(ServiceError):
    code = "dispute_not_found"


class DisputeStatusConflict(ServiceError):
    """The requested change does not follow from the request's current status."""

    code = "dispute_status_conflict"


class NotAllowedToDispute(ServiceError):
    """Neither the holder of the account nor a citizen the holder authorised."""

    code = "forbidden"


class DisputeRateLimited(ServiceError):
    code = "rate_limited"


class NotStaff(ServiceError):
    """Only the admin role answers requests."""

    code = "forbidden"


class FormUnreadable(ServiceError):
    """A filing that is not a well-formed multipart form of a known length."""

    code = "validation_error"


class UnknownStatus(ServiceError):
    code = "unknown_status"
