"""A citizen's whole visit in Debian's chromium, against the real app under uvicorn.

Sign in through the bundled identity provider, look up a code, read the statement, switch the
language and back, download the PDF and the CSV and check what they say, verify the PDF by its
code and by the file itself; axe-core on every page, and screenshots at desktop and phone widths.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import Connection

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    horizontal_overflow,
    save_screenshots,
    sqlite_server,
    visiting,
)
from tests.support.factories.billing import add_invoice, add_payment, add_subscriber, recalculate
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.calendar import Window

FIN = "7BRWSR2"
CODE = "0104410203"
# Eleven ordinary months, a leaking twelfth; one estimate and one recalculation on the way.
VOLUMES = ["10", "10", "11", "10", "9", "10", "10", "11", "10", "10", "10", "26"]
PAGE_BUDGET = 100_000


def seed(db: Connection) -> None:
    months = Window.ending(clock.today()).months
    household = add_subscriber(db, code=CODE, holder_fin=FIN)
    for month, volume in zip(months, VOLUMES, strict=True):
        basis = "estimate" if month == months[4] else "meter"
        for service in ("water", "wastewater"):
            invoice = add_invoice(db, household, str(month), service, volume, basis=basis)
            if month == months[5] and service == "water":
                recalculate(db, invoice, amount="5.60", consumption="8.000")
    paid_at = datetime.combine(months[2].first_day, datetime.min.time(), UTC)
    add_payment(db, household, paid_at + timedelta(days=9), "30.00")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with sqlite_server(tmp_path_factory, "browser", seed) as live:
        yield live


@pytest.fixture(scope="module")
def visit(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """One browsing session for the whole visit: the steps below build on each other."""
    with visiting(browser, server) as page:
        yield page


def check_page(page: Page, name: str, *, phone_layout_differs: bool = False) -> None:
    """Every page: accessible, nothing wider than a 320 px phone, screenshots at both widths.

    axe-core runs again at phone width where the layout changes in substance (the statement's
    table becomes cards); elsewhere the phone layout only stacks the same elements.
    """
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) == 0, f"{name} scrolls sideways at 320 px"
    if phone_layout_differs:
        assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    save_screenshots(page, name)


def test_the_start_page_leads_to_the_e_gov_sign_in(visit: Page, server: LiveServer) -> None:
    visit.goto("/")
    expect(visit.locator("h1")).to_have_text("Son 12 ayın hesab-fakturaları və ödənişləri")
    check_page(visit, "01-start")
    visit.get_by_role("link", name="e-gov ilə daxil ol").click()
    expect(visit).to_have_url(re.compile(r"/dev-idp/authorize"))
    check_page(visit, "02-dev-idp-sign-in")


def test_the_citizen_signs_in_and_looks_up_a_code(visit: Page) -> None:
    visit.get_by_label("Elektron imza kartı").check()
    visit.locator(f"#fin-{FIN}").check()
    visit.get_by_role("button", name="Daxil ol").click()
    expect(visit).to_have_url(re.compile(r"/statements$"))
    check_page(visit, "03-lookup")
    visit.get_by_label("Abonent kodu").fill("01-0441-0203")
    visit.get_by_role("button", name="Çıxarışı göstər").click()
    expect(visit.locator("h1")).to_contain_text(CODE)


def test_the_statement_reads_well_and_stays_small(visit: Page, server: LiveServer) -> None:
    table = visit.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(14)
    expect(visit.locator(".warning").first).to_contain_text("Ehtimal olunan sızma")
    expect(visit.locator("tr.leak")).to_have_count(1)
    expect(table).to_contain_text("təxmini")
    expect(table).to_contain_text("yenidən hesablanıb")
    expect(visit.get_by_role("img")).to_have_count(3)
    expect(visit.locator("body")).to_contain_text("₼")
    # Drawn with the site's own subset of Noto Sans, not left to a system font without U+20BC.
    manat_font = (
        "document.fonts.ready.then(() => [...document.fonts].some("
        "face => face.family.replaceAll('\"', '') === 'Manat' && face.status === 'loaded'))"
    )
    assert visit.evaluate(manat_font)
    size = visit.evaluate("document.documentElement.outerHTML.length")
    assert size < PAGE_BUDGET
    check_page(visit, "04-statement", phone_layout_differs=True)


def test_the_statement_works_at_200_percent_zoom_and_by_keyboard(visit: Page) -> None:
    # 200 % zoom on a 1280 px screen lays the page out in 640 CSS pixels
    visit.set_viewport_size({"width": 640, "height": 450})
    assert horizontal_overflow(visit) == 0
    visit.set_viewport_size(DESKTOP)
    visit.reload()
    visit.keyboard.press("Tab")
    skip = visit.get_by_role("link", name="Əsas məzmuna keç")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    visit.keyboard.press("Enter")
    assert visit.evaluate("document.activeElement.id") == "content"


def test_the_language_switch_keeps_the_page_and_comes_back(visit: Page) -> None:
    here = visit.url
    visit.get_by_role("link", name="English").click()
    expect(visit.locator("h1")).to_have_text(f"Statement of subscriber {CODE}")
    expect(visit.locator("html")).to_have_attribute("lang", "en")
    expect(visit.get_by_role("table")).to_contain_text("AZN")
    assert visit.url.split("?")[0] == here.split("?")[0]
    visit.get_by_role("link", name="Русский").click()
    expect(visit.locator("h1")).to_contain_text("абонент")
    check_page(visit, "05-statement-ru", phone_layout_differs=True)
    visit.get_by_role("link", name="Azərbaycanca").click()
    expect(visit.locator("html")).to_have_attribute("lang", "az")
    expect(visit.locator("h1")).to_contain_text(CODE)


def _download(page: Page, name: str, tmp_path: Path) -> Path:
    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile(name)).click()
    path = tmp_path / started.value.suggested_filename
    started.value.save_as(path)
    return path


def test_the_pdf_says_what_the_page_says_and_verifies(visit: Page, tmp_path: Path) -> None:
    pdf = _download(visit, "PDF", tmp_path)
    assert pdf.name.startswith(f"azersu-{CODE}-")
    # Words as a reader sees them: how a sentence wraps depends on the month names around it.
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages
    )
    for expected in (
        "Hüseynov Qorxmaz Əli oğlu",
        CODE,
        "₼",
        "Ehtimal olunan sızma",
        "Yoxlama kodu",
    ):
        assert expected in text
    assert visit.locator("tbody th").first.inner_text() in text
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert code is not None

    visit.goto(f"/verify/{code.group()}")
    expect(visit.locator(".notice")).to_contain_text("Həqiqidir")
    expect(visit.locator("dl.items")).to_contain_text("Hüseynov Qorxmaz Əli oğlu")
    check_page(visit, "06-verify")
    visit.get_by_label("Aldığınız PDF və ya CSV faylı").set_input_files(str(pdf))
    visit.get_by_role("button", name="Verilmiş sənədlə müqayisə et").click()
    expect(visit.locator(".notice")).to_contain_text("heç bir bayt dəyişməyib")

    changed = tmp_path / "changed.pdf"
    changed.write_bytes(pdf.read_bytes().replace(b"/Title", b"/Titel", 1))
    visit.get_by_label("Aldığınız PDF və ya CSV faylı").set_input_files(str(changed))
    visit.get_by_role("button", name="Verilmiş sənədlə müqayisə et").click()
    expect(visit.locator(".problem")).to_contain_text("Verilmiş fayl deyil")
    check_page(visit, "07-verify-file-differs")


def test_the_csv_opens_in_excel_with_the_same_figures(
    visit: Page, server: LiveServer, tmp_path: Path
) -> None:
    visit.goto(f"/statements/{CODE}")
    data = _download(visit, "CSV", tmp_path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "Abonent kodu;0104410203" in text
    assert ";26,000;26,000;26,00;" in text
    today = clock.today()
    assert f";{today.isoformat()}" in text


def test_the_verification_form_and_its_refusal_are_accessible(visit: Page) -> None:
    visit.goto("/verify")
    check_page(visit, "08-verify-form")
    visit.get_by_label("Yoxlama kodu").fill("0000-0000-0000-0000")
    visit.get_by_role("button", name="Yoxla").click()
    expect(visit.locator("h1")).to_contain_text("Bu yoxlama kodu ilə heç bir sənəd verilməyib")
    check_page(visit, "09-verify-unknown")


def test_a_refusal_page_is_accessible(visit: Page) -> None:
    visit.goto("/statements/0599999999")
    expect(visit.locator("h1")).to_contain_text("0599999999")
    check_page(visit, "10-unknown-code")


def test_the_citizen_chooses_notifications_on_an_accessible_page(visit: Page) -> None:
    visit.goto("/statements")
    visit.get_by_role("link", name="E-poçtla bildirişlər").click()
    expect(visit.locator("h1")).to_have_text("E-poçtla bildirişlər")
    check_page(visit, "12-notifications")
    visit.get_by_label("E-poçt ünvanı").fill("vetendas@example.az")
    visit.get_by_label("Yeni hesab yazılıb").check()
    visit.get_by_label("Ehtimal olunan sızma: istehlak adi həddən xeyli yüksəkdir").check()
    visit.get_by_role("button", name="Yadda saxla").click()
    expect(visit.get_by_role("status")).to_contain_text("vetendas@example.az")
    expect(visit.get_by_label("Yeni hesab yazılıb")).to_be_checked()
    expect(visit.get_by_label("Ödəniş daxil olub")).not_to_be_checked()
    check_page(visit, "13-notifications-saved")


def test_every_page_is_under_100_kb(server: LiveServer, visit: Page) -> None:
    cookies = {cookie["name"]: cookie["value"] for cookie in visit.context.cookies()}
    with httpx.Client(base_url=server.url, cookies=cookies, timeout=10) as client:
        for path in ("/", "/statements", f"/statements/{CODE}", "/verify", "/static/site.css"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert len(response.content) < PAGE_BUDGET, path


def test_signing_in_with_asan_imza_confirms_on_an_accessible_page(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(
        base_url=server.url, viewport=DESKTOP, locale="ru-RU", bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto("/statements")
        page.get_by_label("Asan İmza").check()
        page.get_by_label("Mobil nömrə").fill("+994 50 123 45 67")
        page.get_by_label("İstifadəçi ID").fill("123456")
        page.locator(f"#fin-{FIN}").check()
        page.get_by_role("button", name="Daxil ol").click()
        expect(page.locator("h1")).to_have_text("Asan İmza ilə təsdiq")
        check_page(page, "11-dev-idp-asan-imza-confirm")
        page.get_by_role("button", name="Telefonda təsdiq etdim").click()
        # Accept-Language is Russian and nothing else was chosen: the service answers in Russian
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        page.get_by_role("button", name="Выйти").click()
        expect(page).to_have_url(re.compile(r"/$"))
    finally:
        context.close()


def test_the_pages_need_nothing_their_content_security_policy_forbids(
    browser: Browser, server: LiveServer
) -> None:
    """Without bypass_csp: a blocked style, script, form target or redirect would be reported here.

    The visit ends with signing out, through the provider's end_session and back.
    """
    context = browser.new_context(base_url=server.url, viewport=DESKTOP, locale="az-AZ")
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/")
    page.get_by_role("link", name="e-gov ilə daxil ol").click()
    page.get_by_label("Elektron imza kartı").check()
    page.locator(f"#fin-{FIN}").check()
    page.get_by_role("button", name="Daxil ol").click()
    expect(page).to_have_url(re.compile(r"/statements$"))
    page.get_by_label("Abonent kodu").fill(CODE)
    page.get_by_role("button", name="Çıxarışı göstər").click()
    expect(page.locator("h1")).to_contain_text(CODE)
    expect(page.get_by_role("img")).to_have_count(3)
    # Signing out passes through the provider's end_session (the portal forgets the citizen too).
    ended: list[str] = []
    page.on(
        "request",
        lambda request: ended.append(request.url) if "end_session" in request.url else None,
    )
    page.get_by_role("button", name="Çıxış").click()
    expect(page).to_have_url(f"{server.url}/")
    assert len(ended) == 1
    page.get_by_role("link", name="e-gov ilə daxil ol").click()
    expect(page.get_by_role("button", name="Daxil ol")).to_be_visible()
    expect(page.locator('form[action="/dev-idp/authorize/continue"]')).to_have_count(0)
    context.close()
    assert blocked == []
