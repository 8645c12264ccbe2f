"""The no-debt certificate in Debian's chromium: one click from the statement, the PDF, its check
by code and by file, in az, en and ru; a debtor's refusal; axe-core on every page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import Connection

from tests.browser.conftest import (
    assert_accessible,
    save_screenshots,
    sqlite_server,
    visiting,
)
from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.calendar import YearMonth

FIN = "6KDNWQ3"
SETTLED, DEBTOR = "0209990101", "0209990102"
CODE_SHAPE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def seed(db: Connection) -> None:
    month = str(YearMonth.of(clock.today()).shift(-1))
    settled = add_subscriber(db, code=SETTLED, holder_fin=FIN)
    add_invoice(db, settled, month, "water", "10.000")
    add_payment(db, settled, clock.now() - timedelta(days=1), "10.00")  # 3.00 in advance
    debtor = add_subscriber(db, code=DEBTOR, holder_fin=FIN, street="Nizami küç.")
    add_invoice(db, debtor, month, "water", "17.850")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with sqlite_server(tmp_path_factory, "certificate", seed) as live:
        yield live


@pytest.fixture(scope="module")
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """Signed in as the holder of both accounts, for the whole module."""
    with visiting(browser, server) as opened:
        opened.goto("/statements")
        opened.get_by_label("Elektron imza kartı").check()
        opened.locator(f"#fin-{FIN}").check()
        opened.get_by_role("button", name="Daxil ol").click()
        expect(opened).to_have_url(re.compile(r"/statements$"))
        yield opened


def checked(page: Page, name: str) -> None:
    assert_accessible(page)
    save_screenshots(page, name)


def issue_and_download(page: Page, language: str, button: str, tmp_path: Path) -> tuple[Path, str]:
    """From the statement in ``language``: one click, then the PDF; returns it and its text."""
    page.goto(f"/statements/{SETTLED}?lang={language}")
    page.get_by_role("button", name=button).click()
    expect(page.locator("h1")).to_contain_text(SETTLED)
    with page.expect_download() as started:
        page.locator("a.button[download]").click()
    path = tmp_path / f"{language}-{started.value.suggested_filename}"
    started.value.save_as(path)
    text = " ".join(PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text().split())
    return path, text


def test_a_settled_household_gets_its_certificate_in_one_click_and_anyone_can_check_it(
    page: Page, tmp_path: Path
) -> None:
    pdf, text = issue_and_download(page, "az", "Borcun olmaması haqqında arayış al", tmp_path)
    checked(page, "20-certificate-issued")
    for shown in ("Borcun olmaması haqqında arayış", "Hüseynov Qorxmaz Əli oğlu", SETTLED):
        assert shown in text
    assert "-3,00 ₼" in text
    found = CODE_SHAPE.search(text)
    assert found is not None
    code = found.group()
    expect(page.locator("strong.figure")).to_have_text(code)

    page.get_by_role("link", name="Bu arayışı yoxla").click()
    expect(page.locator(".notice")).to_contain_text("Həqiqidir və qüvvədədir")
    expect(page.locator("dl.items")).to_contain_text("Hüseynov Qorxmaz Əli oğlu")
    checked(page, "21-certificate-verified")
    page.get_by_label("Aldığınız PDF və ya CSV faylı").set_input_files(str(pdf))
    page.get_by_role("button", name="Verilmiş sənədlə müqayisə et").click()
    expect(page.locator(".notice")).to_contain_text("heç bir bayt dəyişməyib")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf.read_bytes().replace(b"-3,00", b"-9,00").replace(b"/Title", b"/Titel"))
    page.get_by_label("Aldığınız PDF və ya CSV faylı").set_input_files(str(forged))
    page.get_by_role("button", name="Verilmiş sənədlə müqayisə et").click()
    expect(page.locator(".problem")).to_contain_text("Verilmiş fayl deyil")

    page.goto("/verify?lang=en")
    page.get_by_label("Verification code").fill(code.lower())
    page.get_by_role("button", name="Check").click()
    expect(page.locator(".notice")).to_contain_text("Genuine and valid.")

    _, english = issue_and_download(page, "en", "Get a no-debt certificate", tmp_path)
    assert "No-debt certificate" in english
    assert "-AZN3.00" in english
    _, russian = issue_and_download(
        page, "ru", "Получить справку об отсутствии задолженности", tmp_path
    )
    assert "Справка об отсутствии задолженности" in russian
    assert "-3,00 AZN" in russian
    checked(page, "22-certificate-issued-ru")
    page.get_by_role("link", name="Проверить эту справку").click()
    expect(page.locator(".notice")).to_contain_text("Подлинная и действующая.")


def test_a_debtor_is_told_the_debt_and_how_to_pay_never_given_a_certificate(page: Page) -> None:
    page.goto(f"/statements/{DEBTOR}?lang=az")
    page.get_by_role("button", name="Borcun olmaması haqqında arayış al").click()
    expect(page.locator("h1")).to_contain_text(f"Arayış verilmədi: {DEBTOR}")
    expect(page.locator(".problem")).to_contain_text("12,50 ₼")
    expect(page.locator(".problem")).to_contain_text("ASAN Kommunal")
    expect(page.locator("a.button[download]")).to_have_count(0)
    checked(page, "23-certificate-refused-debt")
