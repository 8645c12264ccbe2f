"""Refusals that are part of the interface: each has a stable code that clients rely on.

The web layer maps a code to an HTTP status and a message in the user's language; the CLI prints
the same message. Codes are listed in ../shared/spec/contract.md and must never be renamed.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with a stable ``code`` and the values its message needs."""

    code = "error"

    def __init__(self, **params: Any) -> None:
        super().__init__(self.code)
        self.params = params


class MalformedCode(ServiceError):
    code = "malformed_code"


class UnknownCode(ServiceError):
    code = "unknown_code"


class NotHousehold(ServiceError):
    code = "not_household"


class AuditUnavailable(ServiceError):
    """The access log could not be written, so nothing personal may be shown (issue 5)."""

    code = "audit_unavailable"


class MalformedFin(ServiceError):
    code = "malformed_fin"


class MalformedVerificationCode(ServiceError):
    code = "malformed_verification_code"


class UnknownDocument(ServiceError):
    code = "unknown_document"


class RateLimited(ServiceError):
    """Too many lookups; ``retry_after`` says in how many seconds to try again."""

    code = "rate_limited"


class DebtOutstanding(ServiceError):
    """No no-debt certificate while the balance is a debt; ``debt`` (Decimal) names the amount."""

    code = "debt_outstanding"
