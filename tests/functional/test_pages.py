"""Every page, in every language, is well-formed for people and assistive technology.

One ``<h1>``; a ``<title>`` that starts with it; a label for every input; an action on every form;
no inline script or style (a strict Content-Security-Policy comes later).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.functional.signin import form_fields, open_sign_in_page, sign_in
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import LiveServer

FIN = "2PGT3ST"
LOCALES = ("az", "en", "ru")


@pytest.fixture(scope="module")
def citizen(sqlite_live_server: LiveServer) -> Iterator[httpx.Client]:
    with sqlite_live_server.engine.begin() as db:
        household = add_subscriber(db, code="0500000001", holder_fin=FIN)
        add_invoice(db, household, "2026-10", "water")
        add_subscriber(db, code="0500000002", holder_fin="2PGOTHR", category="non_population")
    with httpx.Client(base_url=sqlite_live_server.url, timeout=10) as client:
        back = sign_in(client, FIN)
        client.get(back.headers["location"], follow_redirects=True)
        yield client


def assert_well_formed(html: str, locale: str | None = None) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    headings = soup.find_all("h1")
    assert len(headings) == 1, f"{len(headings)} <h1> elements"
    heading = " ".join(headings[0].get_text().split())
    title = " ".join(soup.title.get_text().split()) if soup.title else ""
    assert heading
    assert title.startswith(heading), (title, heading)
    for field in soup.find_all(["input", "select", "textarea"]):
        if field.get("type") in ("hidden", "submit"):
            continue
        assert field.get("id"), f"an input without an id: {field}"
        assert soup.find("label", attrs={"for": field["id"]}), f"no label for {field['id']}"
    for form in soup.find_all("form"):
        assert form.get("action"), f"a form without an action: {form}"
    assert not soup.find_all(["script", "style"])
    assert not soup.find_all(style=True)
    if locale is not None:
        assert soup.html is not None
        assert soup.html.get("lang") == locale
    return soup


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/statements", 200),
        ("/statements/0500000001", 200),
        ("/statements?code=0500000001", 200),
        ("/statements/12ab", 422),
        ("/statements/123", 422),
        ("/statements/0599999999", 404),
        ("/statements/0500000002", 403),
        ("/no-such-page", 404),
        ("/me/views", 200),
        ("/me/authorisations", 200),
        ("/admin/audit", 403),
        ("/verify", 200),
        ("/verify/0000-0000-0000-0000", 404),
    ],
)
def test_a_signed_in_citizen_page_is_well_formed(
    citizen: httpx.Client, path: str, status: int, locale: str
) -> None:
    response = citizen.get(path, params={"lang": locale} if "?" not in path else None)
    if "?" in path:
        response = citizen.get(f"{path}&lang={locale}")
    assert response.status_code == status
    assert_well_formed(response.text, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_start_page_for_a_visitor_is_well_formed_and_gives_the_contacts(
    sqlite_live_server: LiveServer, locale: str
) -> None:
    with httpx.Client(base_url=sqlite_live_server.url, timeout=10) as visitor:
        response = visitor.get("/", params={"lang": locale})
    soup = assert_well_formed(response.text, locale)
    text = soup.get_text(" ")
    for contact in ("955", "office@azersu.az", "(012) 431 47 67", "431 47 87"):
        assert contact in text
    assert soup.find("a", href="/auth/login")


def test_the_refusals_are_in_azerbaijani_by_default(citizen: httpx.Client) -> None:
    citizen.cookies.delete("waterbill_lang")
    unknown = BeautifulSoup(citizen.get("/statements/0599999999").text, "html.parser")
    assert "0599999999 kodlu abonent tapılmadı" in unknown.h1.get_text()
    household = BeautifulSoup(citizen.get("/statements/0500000002").text, "html.parser")
    assert "əhali (məişət) abonenti deyil" in household.h1.get_text()


def test_the_language_follows_accept_language_when_nothing_else_is_chosen(
    sqlite_live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=sqlite_live_server.url, timeout=10) as visitor:
        russian = visitor.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
        assert "Счета и платежи" in russian.text
        chosen = visitor.get("/", params={"lang": "en"}, headers={"Accept-Language": "ru"})
        assert "Invoices and payments" in chosen.text
        remembered = visitor.get("/", headers={"Accept-Language": "ru"})
        assert "Invoices and payments" in remembered.text


def test_the_providers_sign_in_and_confirmation_pages_are_well_formed(
    sqlite_live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=sqlite_live_server.url, timeout=10) as visitor:
        page = open_sign_in_page(visitor)
        soup = assert_well_formed(page.text, "az")
        methods = {field["value"] for field in soup.find_all("input", attrs={"name": "method"})}
        assert methods == {"asan_imza", "e_signature", "password"}
        fields = form_fields(page.text, "/dev-idp/authorize")
        fields.update(method="asan_imza", fin=FIN, phone="+994501234567", user_id="123456")
        confirm = visitor.post("/dev-idp/authorize", data=fields)
        assert_well_formed(confirm.text, "az")
        fields.update(phone="")
        missing = visitor.post("/dev-idp/authorize", data=fields)
        assert missing.status_code == 422
        assert_well_formed(missing.text, "az")


def test_the_provider_offers_the_demo_citizens(
    sqlite_live_server: LiveServer, citizen: httpx.Client
) -> None:
    with httpx.Client(base_url=sqlite_live_server.url, timeout=10) as visitor:
        page = open_sign_in_page(visitor)
    soup = BeautifulSoup(page.text, "html.parser")
    offered = {field["value"] for field in soup.find_all("input", attrs={"name": "fin"})}
    assert FIN in offered
