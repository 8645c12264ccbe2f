"""A holder submits a meter reading with a photo from the statement, in Debian's chromium:
the estimated month's link, a refusal shown beside the form, the reference and its status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, update

from tests.browser.conftest import DESKTOP, assert_accessible, save_screenshots
from tests.support.factories.photos import jpeg_with_exif
from tests.support.factories.readings import metered_household
from tests.support.live_server import LiveServer, serve
from waterbill import clock
from waterbill.billing.tables import invoices
from waterbill.calendar import YearMonth
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

FIN = "8RDNGS3"
CODE = "0104410299"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('readings') / 'waterbill.db'}"
    upgrade(url)
    engine: Engine = make_engine(url, Settings(database_url=url))
    two_months_ago = str(YearMonth.of(clock.today()).shift(-2))
    with engine.begin() as db:
        household = metered_household(db, CODE, FIN)
        # The reader found nobody at home: that month was billed on an estimate.
        db.execute(
            update(invoices)
            .where(invoices.c.subscriber_id == household, invoices.c.period == two_months_ago)
            .values(basis="estimate")
        )
    try:
        with serve(url, engine, reading_window_start_day=1, reading_window_end_day=31) as live:
            yield live
    finally:
        engine.dispose()


def test_a_holder_submits_a_reading_with_a_photo_from_the_estimated_month_of_the_statement(
    browser: Browser, server: LiveServer, tmp_path: Path
) -> None:
    context = browser.new_context(
        base_url=server.url, viewport=DESKTOP, locale="az-AZ", bypass_csp=True
    )
    page: Page = context.new_page()
    try:
        page.goto(f"/statements/{CODE}")
        page.get_by_label("Elektron imza kartı").check()
        page.locator(f"#fin-{FIN}").check()
        page.get_by_role("button", name="Daxil ol").click()
        expect(page.locator("h1")).to_contain_text(CODE)

        # The estimated month carries the link; it opens the form for this code.
        links = page.get_by_role("link", name="Göstəricinizi göndərin")
        expect(links).to_have_count(1)
        expect(page.locator("tr", has=links)).to_contain_text("təxmini")
        links.click()
        expect(page.locator("h1")).to_have_text(
            f"{CODE} abonenti üçün sayğac göstəricisini göndərin"
        )

        # Lower than the last billed reading: refused beside the form, in Azerbaijani.
        page.get_by_label(re.compile("Sayğacın göstəricisi")).fill("999,5")
        page.get_by_role("button", name="Göstəricini göndər").click()
        expect(page.get_by_role("alert")).to_contain_text("1.000,000 m³")
        assert_accessible(page)
        save_screenshots(page, "readings-01-refused")

        photo = tmp_path / "sayğac.jpg"
        photo.write_bytes(jpeg_with_exif())
        page.get_by_label(re.compile("Sayğacın göstəricisi")).fill("1012,345")
        page.get_by_label(re.compile("Sayğacın şəkli")).set_input_files(str(photo))
        page.get_by_role("button", name="Göstəricini göndər").click()
        expect(page).to_have_url(re.compile(r"/readings/SAY-\d{4}-\d{7}$"))
        reference = page.url.rsplit("/", 1)[1]
        expect(page.locator("#reading-status")).to_contain_text("Qəbul edilib")
        expect(page.locator("dl.items")).to_contain_text("1.012,345")
        assert_accessible(page)
        save_screenshots(page, "readings-02-received")

        # The statement lists it with its status; this month's row names it.
        page.get_by_role("link", name="Çıxarışa qayıt").click()
        expect(page.locator("section.readings")).to_contain_text(reference)
        expect(page.locator("table.months")).to_contain_text(f"Göstəriciniz {reference}")
    finally:
        context.close()
