"""The per-month explanations: why a bill changed, and when a month looks like a leak."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.presentation.builders import both, line, monthly, statement
from waterbill.calendar import YearMonth
from waterbill.presentation.explain import explain, usual_m3

STEADY = ["10", "10", "11", "10", "9", "10", "10", "11", "10", "10", "10"]


def kinds(notes: tuple[object, ...]) -> list[str]:
    return [note.kind for note in notes]  # type: ignore[attr-defined]


def test_a_month_not_billed_yet_says_so_and_nothing_else() -> None:
    notes = explain(statement(monthly([*STEADY, None])))
    assert kinds(notes[-1]) == ["not_billed"]


def test_the_first_billed_month_has_nothing_to_compare_with() -> None:
    notes = explain(statement(monthly([None, None, "10", "10"])))
    assert kinds(notes[2]) == ["first_billed"]


def test_more_water_used_explains_a_higher_bill_with_both_volumes() -> None:
    notes = explain(statement(monthly(["10", "13"])))
    up, consumption = notes[1]
    assert up.kind == "amount_up"
    assert up.values == {"delta": Decimal("3.00"), "previous": YearMonth(2025, 12)}
    assert consumption.kind == "consumption_up"
    assert consumption.values == {"before": Decimal("10.000"), "after": Decimal("13.000")}


def test_less_water_used_explains_a_lower_bill() -> None:
    notes = explain(statement(monthly(["12", "8"])))
    assert kinds(notes[1]) == ["amount_down", "consumption_down"]
    assert notes[1][0].values["delta"] == Decimal("4.00")


def test_the_same_volume_at_the_same_price_is_the_same_amount() -> None:
    notes = explain(statement(monthly(["10", "10"])))
    assert kinds(notes[1]) == ["amount_same"]


def test_a_new_tariff_is_named_with_the_old_and_the_new_price() -> None:
    invoices = [
        *both("2025-12", "10"),
        line("2026-01", "10", "water", tariff=Decimal("0.90")),
        line("2026-01", "10", "wastewater"),
    ]
    notes = explain(statement(invoices))
    assert kinds(notes[1]) == ["amount_up", "tariff_changed"]
    assert notes[1][1].values == {
        "service": "water",
        "before": Decimal("0.70"),
        "after": Decimal("0.90"),
    }


def test_a_service_that_starts_is_named() -> None:
    invoices = [line("2025-12", "10", "water"), *both("2026-01", "10")]
    notes = explain(statement(invoices))
    assert kinds(notes[1]) == ["amount_up", "service_added"]
    assert notes[1][1].values == {"service": "wastewater"}


def test_the_comparison_skips_an_unbilled_month_and_names_the_month_compared() -> None:
    notes = explain(statement(monthly(["10", None, "12"])))
    assert notes[2][0].values["previous"] == YearMonth(2025, 12)


def test_a_recalculated_month_shows_the_amount_before_and_after() -> None:
    invoices = [
        *both("2025-12", "10"),
        line("2026-01", "8", "water", before="7.70"),
        line("2026-01", "8", "wastewater"),
    ]
    notes = explain(statement(invoices))
    recalculated = next(note for note in notes[1] if note.kind == "recalculated")
    # before: 7.70 water + 2.40 wastewater as it stands; after: 5.60 + 2.40
    assert recalculated.values == {"before": Decimal("10.10"), "after": Decimal("8.00")}


def test_an_estimate_is_explained_and_the_next_metered_month_mentions_the_correction() -> None:
    invoices = (
        both("2025-12", "10") + both("2026-01", "10", basis="estimate") + both("2026-02", "6")
    )
    notes = explain(statement(invoices))
    assert "estimated" in kinds(notes[1])
    assert "after_estimate" in kinds(notes[2])
    assert "after_estimate" not in kinds(notes[1])


def test_a_month_billed_by_the_norm_says_so() -> None:
    invoices = [line("2025-12", "12", "water", basis="norm")]
    notes = explain(statement(invoices, meter_type="none", wastewater_service=False))
    assert kinds(notes[0]) == ["first_billed", "norm"]


def test_the_usual_volume_is_the_median_of_the_billed_months_water() -> None:
    assert usual_m3(statement(monthly(["8", "30", "10", "12", None]))) == Decimal("11.000")


def test_the_usual_volume_needs_at_least_four_billed_months() -> None:
    assert usual_m3(statement(monthly(["8", "30", "10"]))) is None


def test_a_month_far_above_the_median_warns_of_a_possible_leak() -> None:
    notes = explain(statement(monthly([*STEADY, "25"])))
    leak = notes[-1][-1]
    assert leak.kind == "possible_leak"
    assert leak.is_warning
    assert leak.values == {
        "volume": Decimal("25.000"),
        "usual": Decimal("10.000"),
        "ratio": Decimal("2.5"),
    }
    assert not any(note.is_warning for month in notes[:-1] for note in month)


def test_a_small_absolute_rise_is_not_called_a_leak_even_when_the_ratio_is_high() -> None:
    notes = explain(statement(monthly(["2", "2", "2", "2", "2", "5"])))
    assert "possible_leak" not in kinds(notes[5])


def test_a_rise_just_below_one_and_a_half_times_the_median_is_not_a_leak() -> None:
    notes = explain(statement(monthly(["20", "20", "20", "20", "29.9", "30"])))
    assert "possible_leak" not in kinds(notes[4])
    assert "possible_leak" in kinds(notes[5])


def test_an_estimated_month_is_never_called_a_leak() -> None:
    invoices = monthly(STEADY) + both("2026-11", "40", basis="estimate")
    notes = explain(statement(invoices))
    assert "possible_leak" not in kinds(notes[-1])
