"""The no-debt certificate as people read it: on its PDF, on the page that issues it and on the
verification page, from the same content (so the check shows no more than the certificate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from fpdf.enums import XPos, YPos

from waterbill.documents.domain import display_code
from waterbill.i18n.catalogs import translations
from waterbill.i18n.formatting import format_instant, format_money
from waterbill.i18n.marker import _
from waterbill.presentation.pdf import (
    FAMILY,
    INK,
    PRIMARY,
    TINT,
    detail_rows,
    muted_note,
    new_document,
    text_block,
    verification_block,
)
from waterbill.presentation.view import BALANCE_NAMES, holder_name

LABELS: dict[str, str] = {
    "title": _("No-debt certificate"),
    "code": _("Subscriber code"),
    "holder": _("Subscriber"),
    "address": _("Address"),
    "issued_at": _("Issued (Baku time)"),
    "balance": _("Balance"),
    "valid_until": _("Valid until"),
    "verification_code": _("Verification code"),
    "verify_hint": _("Check that this document is genuine and unchanged at"),
    "statement": _(
        "Azərsu OJSC certifies that on %(moment)s (Baku time) the subscriber %(code)s owes "
        "nothing for water supply and wastewater: the balance, counting every payment received, "
        "is %(balance)s: %(kind)s."
    ),
    "validity": _(
        "The certificate is valid until %(date)s inclusive. Its verification page says whether "
        "it still holds."
    ),
}


@dataclass(frozen=True, slots=True)
class CertificateView:
    locale: str
    title: str
    code: str
    holder: str
    address: str
    issued_at: str
    balance: str
    valid_until: str
    statement: str
    validity: str
    labels: dict[str, str]

    @property
    def items(self) -> list[tuple[str, str]]:
        labels = self.labels
        return [
            (labels["holder"], self.holder),
            (labels["address"], self.address),
            (labels["code"], self.code),
            (labels["issued_at"], self.issued_at),
            (labels["balance"], self.balance),
            (labels["valid_until"], self.valid_until),
        ]


def format_day(day: date, locale: str) -> str:
    """``5 yanvar 2027`` in az."""
    return str(format_date(day, "d MMMM y", locale=locale))


def certificate_view(content: Mapping[str, Any], locale: str) -> CertificateView:
    gettext = translations(locale).gettext
    subscriber = content["subscriber"]
    labels = {key: gettext(text) for key, text in LABELS.items()}
    issued_at = format_instant(datetime.fromisoformat(content["issued_at"]), locale)
    balance = (
        f"{format_money(Decimal(content['balance']), locale)} — "
        f"{gettext(BALANCE_NAMES[content['balance_kind']])}"
    )
    valid_until = format_day(date.fromisoformat(content["valid_until"]), locale)
    return CertificateView(
        locale=locale,
        title=labels["title"],
        code=subscriber["code"],
        holder=holder_name(
            subscriber["surname"], subscriber["name"], subscriber["patronymic"], masked=False
        ),
        address=subscriber["address"]["text"],
        issued_at=issued_at,
        balance=balance,
        valid_until=valid_until,
        statement=labels["statement"]
        % dict(
            moment=issued_at,
            code=subscriber["code"],
            balance=format_money(Decimal(content["balance"]), locale),
            kind=gettext(BALANCE_NAMES[content["balance_kind"]]),
        ),
        validity=labels["validity"] % dict(date=valid_until),
        labels=labels,
    )


def render_certificate_pdf(
    view: CertificateView, *, code: str, verify_url: str, issued_at: datetime
) -> bytes:
    """One A4 page: who and where, the balance, the validity, the code and its QR code."""
    pdf = new_document(
        locale=view.locale, title=view.title, subject=view.code, code=code, issued_at=issued_at
    )
    verification_block(
        pdf, code=code, verify_url=verify_url, label=view.labels["verification_code"]
    )
    detail_rows(pdf, [*view.items, (view.labels["verification_code"], display_code(code))])
    pdf.ln(10)
    pdf.set_fill_color(*TINT)
    pdf.set_draw_color(*PRIMARY)
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(
        0,
        6.5,
        view.statement,
        border=1,
        fill=True,
        padding=3,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(4)
    pdf.set_font(FAMILY, size=10)
    pdf.set_text_color(*INK)
    text_block(pdf, 0, 5.5, view.validity)
    pdf.ln(2)
    muted_note(pdf, f"{view.labels['verify_hint']} {verify_url}")
    return bytes(pdf.output())
