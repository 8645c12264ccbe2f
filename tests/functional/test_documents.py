"""Downloads and verification over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import httpx
import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from tests.functional.signin import sign_in
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.calendar import YearMonth

FIN = "3DQCMNT"
CODE = "0700000001"
# Typed out, so the test checks the Azerbaijani month names rather than repeating the app's own.
AZ_MONTHS = [
    "yanvar",
    "fevral",
    "mart",
    "aprel",
    "may",
    "iyun",
    "iyul",
    "avqust",
    "sentyabr",
    "oktyabr",
    "noyabr",
    "dekabr",
]
VERIFICATION = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def _billed() -> YearMonth:
    """Two months ago: inside the 12-month window on any day."""
    return YearMonth.of(clock.today()).shift(-2)


@pytest.fixture
def citizen(live_server: LiveServer) -> Iterator[httpx.Client]:
    with live_server.engine.begin() as db:
        household = add_subscriber(db, code=CODE, holder_fin=FIN)
        add_invoice(db, household, str(_billed()), "water", "12.000")
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        back = sign_in(client, FIN)
        client.get(back.headers["location"], follow_redirects=True)
        yield client


def test_downloads_need_a_signed_in_citizen(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as visitor:
        response = visitor.get(f"/statements/{CODE}/statement.pdf")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/login")


def test_the_pdf_is_an_attachment_that_verifies_by_code_and_by_file(
    citizen: httpx.Client,
) -> None:
    response = citizen.get(f"/statements/{CODE}/statement.pdf", params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(
        rf'attachment; filename="azersu-{CODE}-\d{{4}}-\d\d-\d\d\.pdf"',
        response.headers["content-disposition"],
    )
    assert response.headers["cache-control"] == "no-store"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Water bills and payments for 12 months" in text
    found = VERIFICATION.search(text)
    assert found is not None
    code = found.group()

    page = citizen.get(f"/verify/{code.lower()}", params={"lang": "en"})
    assert page.status_code == 200
    assert "Genuine." in page.text

    same = citizen.post(
        f"/verify/{code}", files={"file": ("s.pdf", response.content, "application/pdf")}
    )
    assert "not a byte has changed" in BeautifulSoup(same.text, "html.parser").get_text()
    edited = citizen.post(
        f"/verify/{code}", files={"file": ("s.pdf", response.content + b"\n", "application/pdf")}
    )
    assert "Not the issued file." in edited.text


def test_the_csv_is_utf8_with_a_bom_and_semicolons_in_azerbaijani(citizen: httpx.Client) -> None:
    response = citizen.get(f"/statements/{CODE}/statement.csv", params={"lang": "az"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert f"Abonent kodu;{CODE}" in text
    month = _billed()
    assert f"{month};{AZ_MONTHS[month.month - 1]} {month.year};12,000;" in text


def test_anyone_with_the_code_can_verify_without_signing_in(
    citizen: httpx.Client, live_server: LiveServer
) -> None:
    csv = citizen.get(f"/statements/{CODE}/statement.csv").content.decode("utf-8-sig")
    found = VERIFICATION.search(csv)
    assert found is not None
    with httpx.Client(base_url=live_server.url, timeout=10) as stranger:
        page = stranger.get(f"/verify/{found.group()}", params={"lang": "az"})
    assert page.status_code == 200
    assert "Həqiqidir." in page.text
    # the page shows what the document shows, no more: no FIN, no meter serial
    assert FIN not in page.text
    assert "MX-204518" not in page.text


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0000-0000-0000-0000", "Bu yoxlama kodu ilə heç bir sənəd verilməyib"),
        ("not-a-code", "Yoxlama kodu sənəddə yazıldığı kimi 16 hərf"),
    ],
)
def test_an_unknown_or_malformed_verification_code_is_a_404_in_azerbaijani(
    live_server: LiveServer, code: str, message: str
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as visitor:
        page = visitor.get(f"/verify/{code}")
    assert page.status_code == 404
    assert message in BeautifulSoup(page.text, "html.parser").h1.get_text()  # type: ignore[union-attr]
