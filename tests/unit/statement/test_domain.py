"""The statement's rules, on plain values: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.unit.presentation.builders import subscriber
from waterbill.calendar import Window, YearMonth, baku_month
from waterbill.statement.domain import (
    Address,
    BillingHistory,
    InvoiceLine,
    Payment,
    Statement,
    Subscriber,
    build_statement,
    mask_statement,
)

AS_OF = date(2026, 11, 26)


def line(
    period: str,
    service: str = "water",
    m3: str = "7.000",
    amount: str = "4.90",
    basis: str = "meter",
    before: str | None = None,
) -> InvoiceLine:
    return InvoiceLine(
        period=YearMonth.parse(period),
        service=service,  # type: ignore[arg-type]
        consumption_m3=Decimal(m3),
        tariff=Decimal("0.70"),
        amount=Decimal(amount),
        basis=basis,
        amount_before_recalculation=Decimal(before) if before else None,
    )


def statement(
    invoices: list[InvoiceLine] = [],  # noqa: B006 - never mutated
    payments: list[Payment] = [],  # noqa: B006 - never mutated
    *,
    invoiced_before: str = "0.00",
    paid_before: str = "0.00",
    as_of: date = AS_OF,
    who: Subscriber | None = None,
) -> Statement:
    return build_statement(
        BillingHistory(
            subscriber=who or subscriber(),
            window=Window.ending(as_of),
            invoices=invoices,
            payments=payments,
            invoiced_before=Decimal(invoiced_before),
            paid_before=Decimal(paid_before),
        )
    )


def test_the_window_is_the_twelve_baku_months_ending_with_the_month_of_as_of() -> None:
    window = Window.ending(AS_OF)
    assert [str(month) for month in (window.first, window.last)] == ["2025-12", "2026-11"]
    assert len(window.months) == 12
    assert window.starts_at == datetime(2025, 11, 30, 20, 0, tzinfo=UTC)


def test_the_window_crosses_the_new_year_in_january() -> None:
    window = Window.ending(date(2026, 1, 1))
    assert str(window.first) == "2025-02"
    assert str(window.last) == "2026-01"


def test_a_payment_at_20_30_utc_on_31_october_belongs_to_november_in_baku() -> None:
    assert str(baku_month(datetime(2026, 10, 31, 20, 30, tzinfo=UTC))) == "2026-11"
    assert str(baku_month(datetime(2026, 10, 31, 19, 59, 59, tzinfo=UTC))) == "2026-10"


def test_a_payment_made_at_baku_midnight_counts_in_the_new_month() -> None:
    result = statement(payments=[Payment(datetime(2026, 10, 31, 20, 0, tzinfo=UTC), Decimal("5"))])
    paid = {str(month.period): month.paid for month in result.months}
    assert paid["2026-11"] == Decimal("5")
    assert paid["2026-10"] == Decimal("0.00")


def test_a_month_without_an_invoice_is_not_billed_rather_than_zero() -> None:
    result = statement([line("2026-09")])
    october = result.months[-2]
    assert str(october.period) == "2026-10"
    assert not october.billed
    assert october.water is None
    assert october.invoiced == Decimal("0.00")
    assert result.months[-3].billed


def test_fewer_than_twelve_months_of_history_still_gives_twelve_rows() -> None:
    result = statement([line("2026-08"), line("2026-09")])
    assert len(result.months) == 12
    assert sum(month.billed for month in result.months) == 2
    assert str(result.reporting_period) == "2026-09"


def test_the_reporting_period_is_the_latest_billed_month_even_with_gaps() -> None:
    result = statement([line("2026-02"), line("2026-06")])
    assert str(result.reporting_period) == "2026-06"


def test_a_subscriber_with_no_invoice_in_the_window_has_no_reporting_period() -> None:
    assert statement().reporting_period is None


def test_month_figures_add_water_and_wastewater() -> None:
    result = statement(
        [line("2026-10", "water", "7.000", "4.90"), line("2026-10", "wastewater", "7.000", "2.10")]
    )
    october = result.months[-2]
    assert october.consumption_m3 == Decimal("14.000")
    assert october.invoiced == Decimal("7.00")
    assert result.totals.invoiced == Decimal("7.00")


def test_a_water_only_subscriber_has_no_wastewater_line() -> None:
    water_only = subscriber(wastewater_service=False)
    result = statement([line("2026-10")], who=water_only)
    assert water_only.services == ("water",)
    assert result.months[-2].wastewater is None
    assert result.months[-2].invoiced == Decimal("4.90")


def test_a_recalculated_month_reports_the_amount_before_over_all_its_lines() -> None:
    result = statement(
        [
            line("2026-10", "water", amount="6.30", before="8.40"),
            line("2026-10", "wastewater", amount="2.70"),
        ]
    )
    october = result.months[-2]
    assert october.recalculated
    assert october.amount_before_recalculation == Decimal("11.10")
    assert october.invoiced == Decimal("9.00")


def test_a_month_billed_by_norm_or_estimate_is_flagged_estimated() -> None:
    result = statement(
        [line("2026-09", basis="norm"), line("2026-10", basis="estimate"), line("2026-08")]
    )
    assert [m.estimated for m in result.months[-4:-1]] == [False, True, True]


def test_opening_balance_comes_from_history_older_than_the_window() -> None:
    result = statement(
        [line("2026-10", amount="10.00")],
        [Payment(datetime(2026, 10, 5, tzinfo=UTC), Decimal("4.00"))],
        invoiced_before="120.50",
        paid_before="100.25",
    )
    assert result.opening_balance == Decimal("20.25")
    assert result.closing_balance == Decimal("26.25")
    assert result.balance_kind == "debt"


def test_paying_more_than_invoiced_leaves_an_advance() -> None:
    result = statement(
        [line("2026-10", amount="4.90")],
        [Payment(datetime(2026, 10, 5, tzinfo=UTC), Decimal("10.00"))],
    )
    assert result.closing_balance == Decimal("-5.10")
    assert result.balance_kind == "advance"


def test_paying_exactly_what_is_owed_is_settled() -> None:
    result = statement(
        [line("2026-10", amount="4.90")],
        [Payment(datetime(2026, 10, 5, tzinfo=UTC), Decimal("4.90"))],
    )
    assert result.balance_kind == "settled"


def test_a_reversal_reduces_what_was_paid_in_its_month() -> None:
    result = statement(
        payments=[
            Payment(datetime(2026, 10, 5, tzinfo=UTC), Decimal("10.00")),
            Payment(datetime(2026, 10, 6, tzinfo=UTC), Decimal("-10.00")),
        ]
    )
    assert result.months[-2].paid == Decimal("0.00")


def test_money_stays_exact_decimal_over_many_small_amounts() -> None:
    payments = [Payment(datetime(2026, 10, 1, tzinfo=UTC), Decimal("0.10")) for _ in range(30)]
    result = statement(payments=payments)
    assert result.totals.paid == Decimal("3.00")
    assert isinstance(result.totals.paid, Decimal)


def test_masking_keeps_the_amount_due_and_reduces_personal_items() -> None:
    full = statement([line("2026-10")])
    masked = mask_statement(full, reason="not_holder")
    assert masked.masked
    assert masked.subscriber.persons_served is None
    assert masked.subscriber.address.street == ""
    assert masked.subscriber.holder_fin == ""
    assert masked.months == ()
    assert (masked.closing_balance, masked.balance_kind) == (full.closing_balance, "debt")


@pytest.mark.parametrize("text", ["2026-13", "26-10", "2026/10", "abcd-ef", "2026-1"])
def test_a_malformed_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"period|month"):
        YearMonth.parse(text)


def test_the_address_reads_as_azersu_prints_it() -> None:
    assert subscriber().address.text == "Bakı, Nəsimi r., Füzuli küç. 12, m. 34"
    house = Address("Abşeron", "Xırdalan", "", "Heydər Əliyev pr.", "5", None)
    assert house.text == "Abşeron, Xırdalan, Heydər Əliyev pr. 5"
