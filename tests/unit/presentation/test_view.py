"""The statement in words: the same figures and sentences in az, en and ru."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.messages.extract import extract_from_dir

from tests.unit.presentation.builders import both, line, monthly, statement
from waterbill.i18n.catalogs import translations
from waterbill.presentation import view
from waterbill.presentation.view import month_end_balances, statement_view

STEADY = ["10", "10", "11", "10", "9", "10", "10", "11", "10", "10", "10"]


def test_month_end_balances_run_from_the_opening_balance() -> None:
    result = statement(
        monthly(["10", "10"]),
        [("2025-12-15T10:00:00", "5.00"), ("2026-01-10T10:00:00", "20.00")],
        opening="3.30",
    )
    balances = month_end_balances(result)
    assert balances[:3] == (Decimal("8.30"), Decimal("-1.70"), Decimal("-1.70"))
    assert balances[-1] == result.closing_balance


def test_azerbaijani_rows_show_lower_case_months_and_manat_with_a_decimal_comma() -> None:
    shown = statement_view(statement(monthly([*STEADY, "1234"])), "az")
    last = shown.rows[-1]
    assert last.label == "noyabr 2026"
    assert last.water_m3 == "1.234,000"
    assert last.invoiced == "1.234,00\xa0₼"
    assert shown.labels["invoiced"] == "Hesablanıb"
    assert shown.services == "su təchizatı, tullantı suların axıdılması"


def test_english_and_russian_show_the_currency_as_azn() -> None:
    result = statement(monthly(["10"]))
    assert statement_view(result, "en").rows[0].invoiced == "AZN10.00"
    assert statement_view(result, "ru").rows[0].invoiced == "10,00\xa0AZN"
    assert statement_view(result, "ru").rows[0].label == "декабрь 2025"


def test_the_reason_for_a_higher_bill_reads_as_plain_azerbaijani() -> None:
    shown = statement_view(statement(monthly(["10", "13"])), "az")
    assert [sentence.text for sentence in shown.rows[1].notes] == [
        "Əvvəlki aya (dekabr 2025) nisbətən 3,00\xa0₼ çox.",
        "Su sərfi artıb: əvvəl 10,000 m³ idi, indi 13,000 m³.",
    ]


def test_the_same_reason_in_english_and_russian() -> None:
    result = statement(monthly(["10", "13"]))
    assert statement_view(result, "en").rows[1].notes[1].text == (
        "You used more water: 10.000 m³ before, 13.000 m³ now."
    )
    assert statement_view(result, "ru").rows[1].notes[0].text == (
        "На 3,00\xa0AZN больше, чем за декабрь 2025."
    )


def test_a_possible_leak_is_a_warning_with_the_ratio_in_the_readers_numbers() -> None:
    shown = statement_view(statement(monthly([*STEADY, "25"])), "az")
    row = shown.rows[-1]
    assert row.possible_leak
    warning = row.notes[-1]
    assert warning.warning
    assert warning.text.startswith("Ehtimal olunan sızma: 25,000 m³")
    assert "2,5 dəfə" in warning.text
    assert "955" in warning.text


def test_a_recalculated_and_a_tariff_changed_month_in_russian() -> None:
    invoices = [
        *both("2025-12", "10"),
        line("2026-01", "10", "water", tariff=Decimal("0.90"), before="9.00"),
        line("2026-01", "10", "wastewater"),
    ]
    texts = [sentence.text for sentence in statement_view(statement(invoices), "ru").rows[1].notes]
    assert "Изменился тариф (водоснабжение): было 0,70\xa0AZN за м³, стало 0,90\xa0AZN." in texts
    assert "Этот месяц пересчитан: было 12,00\xa0AZN, стало 12,00\xa0AZN." in texts


def test_an_unknown_language_falls_back_to_azerbaijani() -> None:
    assert statement_view(statement(monthly(["10"])), "de").labels["paid"] == "Ödənilib"


@pytest.mark.parametrize("locale", ["az", "ru"])
def test_every_message_of_the_presentation_is_translated(locale: str) -> None:
    package = view.__file__.rsplit("/", 1)[0]
    messages = {
        message
        for _, _, message, *_ in extract_from_dir(package, keywords={"_": None, "gettext": None})
        if isinstance(message, str)
    }
    catalog = translations(locale)
    untranslated = sorted(message for message in messages if catalog.gettext(message) == message)
    assert messages
    assert untranslated == []
