"""Refusals of the dispute service, each with a stable code (messages in ``messages.py``)."""

from __future__ import annotations

from waterbill.errors import ServiceError


class MalformedPeriod(ServiceError):
    code = "malformed_period"
    status = 422


class PeriodOutsideStatement(ServiceError):
    """Only the months the statement shows can be disputed."""

    code = "period_outside_statement"
    status = 422


class UnknownService(ServiceError):
    code = "unknown_service"
    status = 422


class ServiceNotProvided(ServiceError):
    code = "service_not_provided"
    status = 422


class UnknownReason(ServiceError):
    code = "unknown_reason"
    status = 422


class TextRequired(ServiceError):
    code = "text_required"
    status = 422


class TextTooLong(ServiceError):
    code = "text_too_long"
    status = 422


class TextNotPrintable(ServiceError):
    code = "text_not_printable"
    status = 422


class PhotoTooLarge(ServiceError):
    code = "photo_too_large"
    status = 413


class PhotoWrongType(ServiceError):
    code = "photo_wrong_type"
    status = 415


class PhotoUndecodable(ServiceError):
    code = "photo_undecodable"
    status = 422


class DisputeAlreadyOpen(ServiceError):
    code = "dispute_already_open"
    status = 409


class DisputeNotFound(ServiceError):
    code = "dispute_not_found"
    status = 404


class DisputeStatusConflict(ServiceError):
    """The requested change does not follow from the request's current status."""

    code = "dispute_status_conflict"
    status = 409


class NotAllowedToDispute(ServiceError):
    """Neither the holder of the account nor a citizen the holder authorised."""

    code = "forbidden"
    status = 403
    message_id = "forbidden.dispute"


class DisputeRateLimited(ServiceError):
    code = "rate_limited"
    status = 429
    message_id = "rate_limited.dispute_daily"


class NotStaff(ServiceError):
    """Only the admin role answers requests."""

    code = "forbidden"
    status = 403
    message_id = "forbidden.not_staff"


class FormUnreadable(ServiceError):
    """A filing that is not a well-formed multipart form of a known length."""

    code = "validation_error"
    status = 422


class UnknownStatus(ServiceError):
    code = "unknown_status"
    status = 422
