"""Refusals that are part of the interface: each has a stable code that clients rely on.

Each refusal class carries its code, its HTTP status and the id of its message: the web layer
(``waterbill.web.errors``) answers any of them the same way, and the CLI prints the same message.
Codes are listed in ../shared/spec/contract.md and must never be renamed; two classes may share a
code only with the same status (tests/unit/test_refusals.py).
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """A refusal with a stable ``code``, its HTTP ``status`` and the values its message needs.

    ``message_id`` is the key of its text in ``waterbill.i18n.messages.ERROR_MESSAGES``: the code,
    unless the class has a text of its own. A ``reason`` among the values refines it to
    ``<message_id>.<reason>`` where the catalogs have that text.
    """

    code: ClassVar[str] = "error"
    # No default: a refusal without a status would reach the user as a 500.
    status: ClassVar[int]
    message_id: ClassVar[str]
    # Seconds the client is asked to wait (Retry-After) before trying again, if it should.
    retry_after: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "message_id" not in vars(cls):
            cls.message_id = cls.code

    def __init__(self, **params: Any) -> None:
        super().__init__(self.code)
        self.params = params


class MalformedCode(ServiceError):
    code = "malformed_code"
    status = 422


class UnknownCode(ServiceError):
    code = "unknown_code"
    status = 404


class NotHousehold(ServiceError):
    code = "not_household"
    status = 403


class AuditUnavailable(ServiceError):
    """The access log could not be written, so nothing personal may be shown (issue 5)."""

    code = "audit_unavailable"
    status = 503


class MalformedFin(ServiceError):
    code = "malformed_fin"
    status = 422


class MalformedVerificationCode(ServiceError):
    code = "malformed_verification_code"
    status = 404


class UnknownDocument(ServiceError):
    code = "unknown_document"
    status = 404


class RateLimited(ServiceError):
    """Too many lookups; ``retry_after`` says in how many seconds to try again."""

    code = "rate_limited"
    status = 429


class DebtOutstanding(ServiceError):
    """No no-debt certificate while the balance is a debt; ``debt`` (Decimal) names the amount."""

    code = "debt_outstanding"
    status = 409
