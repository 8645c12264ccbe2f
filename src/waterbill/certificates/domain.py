"""The no-debt certificate's rules, as pure functions: what it shows and whether it still holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from waterbill.statement.domain import Statement

CertificateKind = Literal["no_debt"]
# The name of a certificate's content among the issued documents (a statement's has none).
DOCUMENT = "no_debt_certificate"
# valid: genuine and within its validity; expired: past it; debtor_since: a reversal made later of
# a payment the balance counted would have made the account a debtor on the certificate's date.
Standing = Literal["valid", "expired", "debtor_since"]


def valid_until(as_of: date, days: int) -> date:
    """The last Baku day on which the certificate holds: ``days`` days counting its own day."""
    return as_of + timedelta(days=days - 1)


def certificate_content(
    statement: Statement, *, issued_at: datetime, validity_days: int
) -> dict[str, Any]:
    """Everything the certificate shows, in the API's words; sealed with the issued document."""
    subscriber = statement.subscriber
    address = subscriber.address
    return {
        "document": DOCUMENT,
        "kind": "no_debt",
        "subscriber": {
            "code": subscriber.code,
            "surname": subscriber.surname,
            "name": subscriber.name,
            "patronymic": subscriber.patronymic,
            "address": {"text": address.text},
        },
        "as_of": statement.as_of.isoformat(),
        "issued_at": issued_at.isoformat(),
        "balance": f"{statement.closing_balance:.2f}",
        "balance_kind": statement.balance_kind,
        "valid_until": valid_until(statement.as_of, validity_days).isoformat(),
    }


def is_certificate(content: Any) -> bool:
    return isinstance(content, dict) and content.get("document") == DOCUMENT


def standing(*, content: dict[str, Any], today: date, taken_back: Decimal) -> Standing:
    """Whether a genuine certificate still holds on ``today`` (a Baku date).

    ``taken_back``: what reversals the certificate did not count took back of payments it counted.
    """
    if Decimal(content["balance"]) + taken_back > 0:
        return "debtor_since"
    if today > date.fromisoformat(content["valid_until"]):
        return "expired"
    return "valid"
