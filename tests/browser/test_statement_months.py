"""The statement table and charts in a real browser: accessible, legible at 320 px, printable."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from playwright.sync_api import Page

from tests.browser.conftest import PHONE, assert_accessible, horizontal_overflow, save_screenshots
from tests.unit.presentation.builders import both, line, monthly, statement
from waterbill.presentation.chart import statement_charts
from waterbill.presentation.view import statement_view

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "waterbill" / "web"
VOLUMES = ["10", "10", "11", "10", "9", "10", "10", "11", "10", "10", "25", None]


def preview(locale: str) -> str:
    invoices = (
        monthly(VOLUMES[:3])
        + both("2026-03", "10", basis="estimate")
        + [
            line("2026-04", "12", "water", before="7.70"),
            line("2026-04", "12", "wastewater"),
        ]
    )
    invoices += monthly(VOLUMES[5:], first="2026-05")
    result = statement(invoices, [("2026-01-10T10:00:00", "30.00")], opening="3.30")
    view = statement_view(result, locale)
    environment = Environment(
        loader=FileSystemLoader([WEB / "templates", Path(__file__).parent]),
        autoescape=select_autoescape(["html"]),
    )
    css = (WEB / "static" / "site.css").read_text(encoding="utf-8")
    return environment.get_template("preview.html").render(
        view=view, charts=statement_charts(view), css=css
    )


# English here; the real statement page is checked in az and ru in test_citizen_in_browser.
@pytest.mark.parametrize("locale", ["en"])
def test_the_months_have_no_accessibility_violation_and_fit_a_phone(
    page: Page, locale: str
) -> None:
    html = preview(locale)
    assert len(html.encode()) < 100_000
    page.set_content(html)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) == 0
    assert_accessible(page)
    save_screenshots(page, f"preview-statement-months-{locale}")


def test_a_screen_reader_meets_every_month_as_a_row_with_its_header(page: Page) -> None:
    page.set_content(preview("az"))
    table = page.get_by_role("table", name="Aylar üzrə hesablanmış istehlak")
    rows = table.get_by_role("row")
    assert rows.count() == 14  # the header, 12 months, the total
    march = rows.nth(4)
    assert march.get_by_role("rowheader").inner_text() == "mart 2026"
    assert "təxmini" in march.inner_text()
    page.set_viewport_size(PHONE)
    # the cards keep the table semantics: still 14 rows and a named row header per month
    assert rows.count() == 14
    assert table.get_by_role("rowheader", name="oktyabr 2026").is_visible()


def test_the_charts_are_named_images_and_print_leaves_them_out(page: Page) -> None:
    page.set_content(preview("en"))
    images = page.get_by_role("img")
    assert images.count() == 3
    assert page.get_by_role("img", name="Water used per month, m³").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".chart-scroll").is_visible()
    assert page.locator("table.statement").is_visible()


def test_focus_is_visible_on_the_chart_region(page: Page) -> None:
    page.set_content(preview("az"))
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.className") == "chart-scroll"
    assert outline == "solid"
