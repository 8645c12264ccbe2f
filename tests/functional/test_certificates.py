"""No-debt certificates over real HTTP, on SQLite and PostgreSQL: the portal's API, the PDF, the
check by code, by file and by ``waterbill verify``, and every refusal of the contract."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, update

from tests.functional.signin import form_fields, sign_in
from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from tests.support.live_server import LiveServer, serve
from waterbill import clock
from waterbill.audit.tables import audit_events
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.billing.tables import subscribers
from waterbill.calendar import YearMonth
from waterbill.cli import main
from waterbill.config import get_settings
from waterbill.documents.tables import issued_documents

CODE, DEBTOR, BUSINESS = "0104410203", "0104410204", "0104410300"
HOLDER, OTHER = "5ZK3LRT", "94FMDDD"


@pytest.fixture
def server(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    """The holder's household paid its one bill two days ago; the other one did not."""
    month = str(YearMonth.of(clock.today()).shift(-1))
    with engine.begin() as db:
        settled = add_subscriber(db, code=CODE, holder_fin=HOLDER)
        add_invoice(db, settled, month, "water", "10.000")
        add_payment(db, settled, clock.now() - timedelta(days=2), "7.00", payment_id="P-1")
        debtor = add_subscriber(db, code=DEBTOR, holder_fin=HOLDER)
        add_invoice(db, debtor, month, "water", "17.850")
        add_subscriber(db, code=BUSINESS, holder_fin=HOLDER, category="non_population")
    with serve(database_url, engine) as live:
        yield live


def api(server: LiveServer, fin: str, language: str = "en") -> httpx.Client:
    with server.engine.connect() as db:
        claims = citizen_claims(db=db, fin=fin, method="asan_imza")
    token = access_token(server.settings, claims=claims)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    return httpx.Client(base_url=server.url, headers=headers, timeout=20)


def ask(client: httpx.Client, code: str, kind: str = "no_debt") -> httpx.Response:
    return client.post("/api/v1/certificates", json={"subscriber_code": code, "kind": kind})


def verify_command(server: LiveServer, *args: str) -> tuple[int, str]:
    environment = {
        "WATERBILL_ENV": "test",
        "WATERBILL_DATABASE_URL": server.settings.database_url,
        "WATERBILL_SECRET_KEY": server.settings.secret_key.get_secret_value(),
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["verify", *args], env=environment)
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def test_a_settled_household_gets_a_certificate_that_verifies_until_a_payment_is_reversed(
    server: LiveServer,
) -> None:
    with api(server, HOLDER, "az") as holder:
        answer = ask(holder, CODE)
        assert answer.status_code == 201, answer.text
        certificate = answer.json()["certificate"]
        code = certificate["verification_code"]
        today = clock.today()
        assert certificate == {
            "kind": "no_debt",
            "subscriber_code": CODE,
            "as_of": today.isoformat(),
            "balance": "0.00",
            "balance_kind": "settled",
            "verification_code": code,
            "valid_until": (today + timedelta(days=29)).isoformat(),
            "pdf_url": f"/certificates/{code}.pdf",
        }
        pdf = holder.get(certificate["pdf_url"])
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        # In the language of the request: Azerbaijani here.
        text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
        for shown in ("Borcun olmaması haqqında arayış", "Hüseynov Qorxmaz Əli oğlu", CODE):
            assert shown in text
        assert "0,00 ₼" in text
        assert re.sub(r"(.{4})(?!$)", r"\1-", code) in text

        with api(server, OTHER) as stranger:
            refused = stranger.get(certificate["pdf_url"])
            assert refused.status_code == 403
            assert "issued to another citizen" in refused.text

        page = holder.get(f"/verify/{code.lower()}", params={"lang": "en"})
        assert "Genuine and valid." in page.text
        assert "Hüseynov Qorxmaz Əli oğlu" in page.text
        check = f"/verify/{code}?lang=en"
        same = holder.post(check, files={"file": ("a.pdf", pdf.content)})
        assert "not a byte has changed" in same.text
        edited = pdf.content.replace(b"/Title", b"/Titel", 1)
        forged = holder.post(check, files={"file": ("a.pdf", edited)})
        assert "Not the issued file." in forged.text
        assert verify_command(server, code)[0] == 0

        # The bank takes the payment back: the certificate no longer holds, and no new one.
        with server.engine.begin() as db:
            sid = db.scalar(select(subscribers.c.id).where(subscribers.c.code == CODE))
            add_payment(db, sid, clock.now(), "-7.00", payment_id="R-1", reverses="P-1")
        page = holder.get(check)
        assert "No longer holds." in page.text
        assert "7.00" not in page.text  # no more than the certificate shows
        assert "7,00" not in page.text
        status, output = verify_command(server, code)
        assert status == 1
        assert "NO LONGER HOLDS" in output
        # Someone with the database edits the record's balance: its seal says no.
        with server.engine.begin() as db:
            db.execute(
                update(issued_documents)
                .where(issued_documents.c.code == code)
                .values(content=func.replace(issued_documents.c.content, '"0.00"', '"-50.00"'))
            )
        assert "Cannot be confirmed." in holder.get(check).text
        status, output = verify_command(server, code)
        assert status == 1
        assert "TAMPERED" in output

        again = ask(holder, CODE)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "debt_outstanding"
        assert "AZN7.00" in again.json()["error"]["message"]  # English since ?lang=en


def test_every_refusal_has_its_code_and_is_in_the_access_log(server: LiveServer) -> None:
    with api(server, HOLDER) as holder, api(server, OTHER, "az") as stranger:
        debt = ask(holder, DEBTOR)
        assert debt.status_code == 409
        error = debt.json()["error"]
        assert error["code"] == "debt_outstanding"
        assert "12.50" in error["message"]  # the debt, named
        assert "955" in error["message"]
        masked = ask(stranger, CODE)
        assert masked.status_code == 403
        assert masked.json()["error"]["code"] == "forbidden"
        assert "arayış" in masked.json()["error"]["message"]
        for code, status, error_code in (
            ("0599999999", 404, "unknown_code"),
            (BUSINESS, 403, "not_household"),
            ("12ab", 422, "malformed_code"),
        ):
            answer = ask(holder, code)
            assert answer.status_code == status
            assert answer.json()["error"]["code"] == error_code
        assert ask(holder, CODE, kind="no_dues").status_code == 422
    with httpx.Client(base_url=server.url, timeout=10) as nobody:
        assert ask(nobody, CODE).status_code == 401

    with server.engine.connect() as db:
        logged = db.execute(
            select(audit_events.c.tag, audit_events.c.reason, audit_events.c.subscriber_code)
            .where(audit_events.c.tag.like("certificate:%"))
            .order_by(audit_events.c.occurred_at)
        ).all()
    assert sorted((tag, reason) for tag, reason, _ in logged) == sorted(
        [
            ("certificate:refused", "debt_outstanding"),
            ("certificate:refused", "forbidden"),
            ("certificate:refused", "unknown_code"),
            ("certificate:refused", "not_household"),
            ("certificate:refused", "malformed_code"),
        ]
    )


# Pages and the policy, not the engine: once is enough.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_only_the_holder_sees_the_button_and_the_form_needs_its_csrf_token(
    server: LiveServer,
) -> None:
    action = f"/statements/{CODE}/certificate?lang=az"
    with httpx.Client(base_url=server.url, timeout=10) as stranger:
        stranger.get(sign_in(stranger, OTHER).headers["location"])
        page = stranger.get(f"/statements/{CODE}")
        assert page.status_code == 200
        assert "/certificate" not in page.text  # a masked statement: no button
    with httpx.Client(base_url=server.url, timeout=10) as holder:
        holder.get(sign_in(holder, HOLDER).headers["location"])
        page = holder.get(f"/statements/{CODE}")
        fields = form_fields(page.text, action)
        assert holder.post(action, data={"csrf_token": "forged"}).status_code == 403
        issued = holder.post(action, data=fields)
        assert issued.status_code == 200
        assert "Verildi." in issued.text
        # "Who viewed my accounts" names it: the holder's issue and the stranger's masked view.
        views = BeautifulSoup(holder.get("/me/views").text, "html.parser").get_text(" ")
        assert "Borcun olmaması haqqında arayış" in views
        assert "şəxsi məlumatları gizlədilmiş çıxarış" in views
