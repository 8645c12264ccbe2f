"""Data-quality warnings on invoices: findings worth a look that do not make the row wrong."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from waterbill.i18n.marker import _
from waterbill.ingest.problems import Finding
from waterbill.ingest.records import InvoiceRecord

AMOUNT_TOLERANCE = Decimal("0.01")
MEDIAN_FACTOR = Decimal(3)
MEDIAN_MIN_MONTHS = 3
# The months before an invoice's own that its consumption is compared with.
HISTORY_MONTHS = 12


@dataclass(frozen=True, slots=True)
class RowWarning(Finding):
    """A finding on a row that is loaded all the same; the import counts them by code."""


def invoice_warnings(invoice: InvoiceRecord) -> list[RowWarning]:
    """Data-quality findings worth a look that do not make the row wrong."""
    found: list[RowWarning] = []
    expected = (invoice.consumption_m3 * invoice.tariff).quantize(Decimal("0.01"))
    if abs(invoice.amount - expected) > AMOUNT_TOLERANCE:
        found.append(
            RowWarning(
                "amount_mismatch",
                "amount",
                _("amount differs from consumption × tariff (%(expected)s)"),
                # As the feed writes numbers, not as money reads in a language.
                (("expected", str(expected)),),
            )
        )
    if invoice.basis == "meter" and invoice.service == "water" and invoice.current_reading is None:
        found.append(
            RowWarning(
                "readings_missing",
                "current_reading",
                _("a meter-based bill without its readings; the bill was loaded all the same"),
            )
        )
    if (
        invoice.previous_reading is not None
        and invoice.current_reading is not None
        and invoice.current_reading < invoice.previous_reading
    ):
        found.append(
            RowWarning(
                "reading_decreased",
                "current_reading",
                _("the current reading is lower than the previous one"),
            )
        )
    return found


def far_above_median(consumption: Decimal, history: Sequence[Decimal]) -> RowWarning | None:
    """More than three times the median of the subscriber's earlier months (of at least three)."""
    if len(history) < MEDIAN_MIN_MONTHS:
        return None
    median = Decimal(statistics.median(history))
    if median <= 0 or consumption <= median * MEDIAN_FACTOR:
        return None
    return RowWarning(
        "consumption_spike",
        "consumption_m3",
        _("consumption is over 3 times the 12-month median (%(median)s)"),
        (("median", str(median)),),
    )
