"""The statement as CSV for a spreadsheet: UTF-8 with a BOM so Excel reads ə and ₼ right.

Azerbaijani Excel expects ``;`` between fields and a decimal comma; English, ``,`` and a point.
Amounts are plain numbers (no currency sign, no thousands separator) so a spreadsheet can add
them up; the header says the unit.
"""

from __future__ import annotations

import io
from decimal import Decimal

from waterbill.documents.domain import display_code
from waterbill.i18n.formatting import format_number
from waterbill.presentation.view import StatementView
from waterbill.spreadsheet import csv_writer

BOM = "\ufeff"
DELIMITERS = {"az": ";", "ru": ";", "en": ","}


def _number(value: Decimal, places: int, locale: str) -> str:
    pattern = "0." + "0" * places
    return format_number(value, pattern, locale)


def render_csv(view: StatementView, *, code: str, verify_url: str) -> bytes:
    labels = view.labels
    locale = view.locale
    statement = view.statement
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=DELIMITERS[locale], lineterminator="\r\n")
    currency = "₼" if locale == "az" else "AZN"

    for label, value in (
        (labels["title"], ""),
        *view.header_items,
        (labels["verification_code"], display_code(code)),
        (labels["verify_hint"], verify_url),
    ):
        writer.writerow([label, value] if value else [label])
    if view.masked:
        # The amount due alone (``mask_statement``).
        writer.writerow([labels["masked"]])
        writer.writerow([])
        closing = statement.closing_balance
        writer.writerow(
            [
                f"{labels['closing_balance']}, {currency}",
                _number(closing, 2, locale),
                view.balance_kind,
            ]
        )
        return (BOM + buffer.getvalue()).encode("utf-8")
    writer.writerow([])

    writer.writerow(
        [
            labels["period"],
            labels["month"],
            labels["water_m3"],
            labels["wastewater_m3"],
            f"{labels['invoiced']}, {currency}",
            f"{labels['paid']}, {currency}",
            f"{labels['balance']}, {currency}",
            labels["notes"],
        ]
    )
    for month, row in zip(statement.months, view.rows, strict=True):
        writer.writerow(
            [
                str(month.period),
                row.label,
                _number(month.water.consumption_m3, 3, locale) if month.water else "",
                _number(month.wastewater.consumption_m3, 3, locale) if month.wastewater else "",
                _number(month.invoiced, 2, locale) if month.billed else "",
                _number(month.paid, 2, locale),
                _number(row.balance_value, 2, locale),
                " ".join(sentence.text for sentence in row.notes),
            ]
        )
    totals = statement.totals
    water = [m.water.consumption_m3 for m in statement.months if m.water]
    wastewater = [m.wastewater.consumption_m3 for m in statement.months if m.wastewater]
    writer.writerow(
        [
            "",
            labels["total"],
            _number(sum(water, Decimal(0)), 3, locale) if water else "",
            _number(sum(wastewater, Decimal(0)), 3, locale) if wastewater else "",
            _number(totals.invoiced, 2, locale),
            _number(totals.paid, 2, locale),
            "",
            "",
        ]
    )
    writer.writerow([])
    writer.writerow(
        [f"{labels['opening_balance']}, {currency}", _number(statement.opening_balance, 2, locale)]
    )
    writer.writerow(
        [
            f"{labels['closing_balance']}, {currency}",
            _number(statement.closing_balance, 2, locale),
            view.balance_kind,
        ]
    )
    return (BOM + buffer.getvalue()).encode("utf-8")
