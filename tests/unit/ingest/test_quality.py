"""The data-quality warnings of an invoice: worth a look, never a reason to refuse the row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tests.support.factories.feeds import invoice_row
from waterbill.ingest.quality import far_above_median, invoice_warnings
from waterbill.ingest.rows import parse_invoice

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_an_amount_within_a_qepik_of_consumption_times_tariff_is_not_a_warning() -> None:
    row = parse_invoice(invoice_row(amount="4.91"), code_length=(6, 13), now=NOW)
    assert invoice_warnings(row) == []
    row = parse_invoice(invoice_row(amount="4.92"), code_length=(6, 13), now=NOW)
    assert [w.code for w in invoice_warnings(row)] == ["amount_mismatch"]


def test_a_spike_needs_three_earlier_months_and_more_than_three_times_their_median() -> None:
    history = [Decimal(7), Decimal(6), Decimal(8)]
    assert far_above_median(Decimal(21), history) is None
    assert far_above_median(Decimal("21.001"), history) is not None
    assert far_above_median(Decimal(100), history[:2]) is None
    assert far_above_median(Decimal(100), [Decimal(0)] * 5) is None


def test_a_warning_names_the_figures_as_the_feed_writes_them() -> None:
    spike = far_above_median(Decimal(100), [Decimal(7), Decimal(6), Decimal("8.5"), Decimal(2)])
    assert spike is not None
    assert spike.text() == (
        "consumption_m3: istehlak son 12 ayın medianından (6.5) 3 dəfədən çox yüksəkdir"
        " / consumption is over 3 times the 12-month median (6.5)"
    )
