"""The field parser: numbers, dates and codes out of text, each problem named in az and en."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.support.factories.feeds import subscriber_row
from waterbill.ingest.fields import parse_decimal
from waterbill.ingest.problems import Rejected
from waterbill.ingest.rows import parse_subscriber

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.50", Decimal("12.50")),
        ("12,50", Decimal("12.50")),
        (" 7 ", Decimal(7)),
        ("-5,00", Decimal("-5.00")),
    ],
)
def test_a_decimal_may_use_a_point_or_a_comma(text: str, value: Decimal) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["1,234.50", "1.234,50", "1,2,3", "NaN", "Infinity", "12a"])
def test_thousands_separators_and_non_numbers_are_not_guessed(text: str) -> None:
    assert parse_decimal(text) is None


@pytest.mark.parametrize(
    ("change", "report"),
    [
        (
            {"persons_served": "dörd"},
            "persons_served: «dörd» tam ədəd deyil / 'dörd' is not a whole number",
        ),
        (
            {"persons_served": "1000"},
            "persons_served: 0–999 aralığında olmalıdır / must be 0 to 999",
        ),
        ({"surname": " "}, "surname: dəyər boşdur / value is missing"),
        ({"building": "1" * 21}, "building: ən çox 20 simvol ola bilər / at most 20 characters"),
        (
            {"opened_on": "2026-13-01"},
            "opened_on: «2026-13-01» YYYY-MM-DD tarixi deyil"
            " / '2026-13-01' is not a YYYY-MM-DD date",
        ),
        (
            {"subscriber_code": "12"},
            "subscriber_code: abonent kodu 6–13 rəqəmdən ibarət olmalıdır"
            " / a subscriber code has 6 to 13 digits",
        ),
        (
            {"holder_fin": "IO12345"},
            "holder_fin: FİN 7 simvoldur: latın böyük hərfləri (I və O-suz) və rəqəmlər"
            " / a FIN has 7 characters: Latin capitals (no I or O) and digits",
        ),
    ],
)
def test_a_refused_field_reads_in_azerbaijani_then_english_from_the_catalogs(
    change: dict[str, str], report: str
) -> None:
    with pytest.raises(Rejected) as refusal:
        parse_subscriber(subscriber_row(**change), code_length=(6, 13), now=NOW)
    assert [problem.text() for problem in refusal.value.problems] == [report]
