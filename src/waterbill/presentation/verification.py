"""What the verification page shows of an issued document: only what the document itself shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from waterbill.calendar import BAKU, YearMonth
from waterbill.documents.domain import IssuedDocument, Verdict, display_code
from waterbill.i18n.catalogs import translations
from waterbill.i18n.formatting import format_money, format_month
from waterbill.presentation.view import BALANCE_NAMES, holder_name


@dataclass(frozen=True, slots=True)
class VerifiedDocument:
    verdict: Verdict
    code: str
    kind: str
    issued_at: str
    subscriber_code: str
    holder: str
    address: str
    period: str | None
    as_of: str
    # None for a masked document, which shows the amount due alone.
    invoiced: str | None
    paid: str | None
    closing_balance: str
    masked: bool
    file_checked: bool


def verified_document(
    document: IssuedDocument, verdict: Verdict, *, locale: str, file_checked: bool
) -> VerifiedDocument:
    gettext = translations(locale).gettext
    content: Mapping[str, Any] = document.content
    subscriber = content["subscriber"]
    months = content["months"]
    totals = content["totals"]

    def money(key: str, source: Mapping[str, Any] = content) -> str:
        return format_money(Decimal(source[key]), locale)

    def month(text: str) -> str:
        return format_month(YearMonth.parse(text), locale)

    balance_kind = content["balance_kind"]
    holder = holder_name(
        subscriber["surname"],
        subscriber["name"],
        subscriber["patronymic"],
        masked=bool(content["masked"]),
    )
    return VerifiedDocument(
        verdict=verdict,
        code=display_code(document.code),
        kind=document.kind.upper(),
        issued_at=document.issued_at.astimezone(BAKU).strftime("%Y-%m-%d %H:%M"),
        subscriber_code=subscriber["code"],
        holder=holder,
        address=subscriber["address"]["text"],
        period=f"{month(months[0]['period'])} – {month(months[-1]['period'])}" if months else None,
        as_of=content["as_of"],
        invoiced=money("invoiced", totals) if totals else None,
        paid=money("paid", totals) if totals else None,
        closing_balance=f"{money('closing_balance')} ({gettext(BALANCE_NAMES[balance_kind])})",
        masked=bool(content["masked"]),
        file_checked=file_checked,
    )
