"""The PDF and the CSV carry the page's content, the verification code, and read back right."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from tests.unit.presentation.builders import monthly, statement
from waterbill import clock
from waterbill.presentation.pdf import FAMILY, new_document, render_pdf, text_block
from waterbill.presentation.tabular import render_csv
from waterbill.presentation.view import statement_view
from waterbill.statement.domain import mask_statement
from waterbill.statement.schemas import StatementOut

CODE = "K7Q4M2XD9TPA3B6C"
URL = "https://e-xidmet.example/verify/K7Q4-M2XD-9TPA-3B6C"
VOLUMES = ["10", "10", "11", "10", "9", "10", "10", "11", "10", "10", "10", "1234.5"]
RESULT = statement(monthly(VOLUMES), [("2026-03-10T10:00:00", "40.00")], opening="3.30")


def pdf_text(locale: str, result: object = RESULT) -> str:
    document = render_pdf(
        statement_view(result, locale),  # type: ignore[arg-type]
        code=CODE,
        verify_url=URL,
        issued_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
    )
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def test_the_pdf_shows_the_subscriber_the_months_and_the_verification_code() -> None:
    text = pdf_text("az")
    for expected in (
        "Son 12 ayın su hesabları və ödənişləri",
        "Hüseynov Qorxmaz Əli oğlu",
        "Bakı, Nəsimi r., Füzuli küç. 12, m. 34",
        "dekabr 2025",
        "noyabr 2026",
        "1.234,50 ₼",
        "40,00 ₼",
        "K7Q4-M2XD-9TPA-3B6C",
        URL,
        "Ehtimal olunan sızma",
    ):
        assert expected in text


def test_the_pdf_embeds_a_font_that_has_the_manat_sign() -> None:
    document = render_pdf(
        statement_view(RESULT, "az"), code=CODE, verify_url=URL, issued_at=clock.now()
    )
    reader = PdfReader(io.BytesIO(document))
    fonts = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    descriptors = [
        font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        for font in fonts.values()  # type: ignore[union-attr]
    ]
    assert all("NotoSans" in str(descriptor["/FontName"]) for descriptor in descriptors)
    assert all("/FontFile2" in descriptor for descriptor in descriptors)


def test_the_pdf_in_russian_shows_azn() -> None:
    text = pdf_text("ru")
    assert "Счета за воду и платежи за 12 месяцев" in text
    assert "1 234,50 AZN" in text or "1\xa0234,50 AZN" in text
    assert "ноябрь 2026" in text


def test_a_masked_statement_stays_masked_in_the_pdf() -> None:
    text = pdf_text("az", mask_statement(RESULT, reason="not_holder"))
    assert "Hüseynov" not in text
    assert "Füzuli" not in text
    assert "Q. H." in text
    assert "gizlədilib" in text


def test_a_masked_statement_shows_the_amount_due_alone_in_the_json_pdf_and_csv() -> None:
    masked = mask_statement(RESULT, reason="not_holder")
    due = RESULT.closing_balance
    body = StatementOut.from_statement(masked).model_dump(mode="json")
    assert (body["months"], body["totals"], body["opening_balance"]) == ([], None, None)
    assert (body["closing_balance"], body["balance_kind"]) == (f"{due:.2f}", "debt")
    assert body["subscriber"]["persons_served"] is None

    text = pdf_text("en", masked)
    assert "AZN1,308.80 (debt)" in text
    for detail in ("1,234.500", "Total for 12 months", "Balance at the start", "December 2025"):
        assert detail not in text

    data = render_csv(statement_view(masked, "en"), code=CODE, verify_url=URL)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[-1] == ["Balance at the end, AZN", f"{due}", "debt"]
    assert not any(row and row[0] in {"Period", "Balance at the start, AZN"} for row in rows)
    assert not any("1234.500" in cell for row in rows for cell in row)


def read_csv(locale: str) -> tuple[bytes, list[list[str]]]:
    data = render_csv(statement_view(RESULT, locale), code=CODE, verify_url=URL)
    delimiter = ";" if locale != "en" else ","
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_the_azerbaijani_csv_has_a_bom_semicolons_and_decimal_commas() -> None:
    data, rows = read_csv("az")
    assert data.startswith(b"\xef\xbb\xbf")
    assert ["Abonent kodu", "0104410203"] in rows
    assert ["Yoxlama kodu", "K7Q4-M2XD-9TPA-3B6C"] in rows
    header = rows.index(next(row for row in rows if row and row[0] == "Dövr"))
    assert rows[header][4] == "Hesablanıb, ₼"
    november = rows[header + 12]
    assert november[:7] == [
        "2026-11",
        "noyabr 2026",
        "1234,500",
        "1234,500",
        "1234,50",
        "0,00",
        november[6],
    ]
    assert "sızma" in november[7]
    assert rows[header + 13][4] == "1345,50"


def test_the_english_csv_uses_commas_and_decimal_points() -> None:
    _, rows = read_csv("en")
    header = next(index for index, row in enumerate(rows) if row and row[0] == "Period")
    assert rows[header][4] == "Invoiced, AZN"
    assert rows[header + 4][5] == "40.00"
    assert rows[-1][:3] == ["Balance at the end, AZN", "1308.80", "debt"]


@pytest.mark.parametrize("locale", ["az", "en", "ru"])
def test_the_csv_balance_adds_up(locale: str) -> None:
    assert (
        RESULT.closing_balance
        == RESULT.opening_balance + RESULT.totals.invoiced - RESULT.totals.paid
    )
    _, rows = read_csv(locale)
    assert rows[-1][1].replace(",", ".") == str(RESULT.closing_balance)


def test_the_pdf_draws_the_pages_charts_on_its_second_page() -> None:
    document = render_pdf(
        statement_view(RESULT, "en"), code=CODE, verify_url=URL, issued_at=clock.now()
    )
    pages = PdfReader(io.BytesIO(document)).pages
    assert len(pages) == 2
    text = pages[1].extract_text()
    for title in (
        "Water used per month, m³",
        "Invoiced and paid per month, AZN",
        "Balance at the end of each month, AZN",
        "Nov",
    ):
        assert title in text


def figures(node: object) -> list[str]:
    """The alternative texts of the figures in a PDF's structure tree, in order."""
    node = node.get_object()  # type: ignore[attr-defined]
    if not isinstance(node, dict):
        return []
    found = [str(node["/Alt"])] if node.get("/S") == "/Figure" else []
    kids = node.get("/K", [])
    for kid in kids if isinstance(kids, list) else [kids]:
        found += figures(kid)
    return found


def test_each_chart_in_the_pdf_is_a_figure_named_by_its_title() -> None:
    document = render_pdf(
        statement_view(RESULT, "en"), code=CODE, verify_url=URL, issued_at=clock.now()
    )
    root = PdfReader(io.BytesIO(document)).trailer["/Root"]["/StructTreeRoot"]
    assert figures(root) == [
        "Verification code",
        "Water used per month, m³",
        "Invoiced and paid per month, AZN",
        "Balance at the end of each month, AZN",
    ]


def test_a_text_block_takes_one_line_when_the_text_fits_and_wraps_when_it_does_not() -> None:
    pdf = new_document(locale="az", title="Çıxarış", subject=CODE, code=CODE, issued_at=clock.now())
    pdf.set_font(FAMILY, size=9)
    top = pdf.get_y()
    text_block(pdf, 0, 5, "Əvvəlki ayla (may 2026) eyni məbləğ.")
    assert pdf.get_y() == pytest.approx(top + 5)
    text_block(pdf, 90, 5, "Əvvəlki ayla (may 2026) eyni məbləğ. " * 6)
    assert pdf.get_y() > top + 5 + 5 * 3
    assert pdf.get_x() == pdf.l_margin


def test_a_name_or_address_that_would_run_as_a_formula_is_text_in_the_csv() -> None:
    hostile = statement(
        monthly(VOLUMES),
        surname='=HYPERLINK("http://evil.example","Click")',
        name="@SUM(1)",
        patronymic="+cmd",
    )
    data = render_csv(statement_view(hostile, "en"), code=CODE, verify_url=URL)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    holder = next(row for row in rows if row and row[0] == "Subscriber")
    assert holder[1] == '\'=HYPERLINK("http://evil.example","Click") @SUM(1) +cmd'
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    # The amounts are still numbers a spreadsheet adds up.
    assert rows[-1][1] == str(hostile.closing_balance)
