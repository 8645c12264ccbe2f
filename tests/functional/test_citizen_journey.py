"""A citizen signs in through the bundled provider, sees their accounts and a statement, signs out.

Everything is real: uvicorn, HTTP, the provider's signed tokens and the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from tests.functional.signin import form_fields, open_sign_in_page, sign_in
from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.auth.tables import web_sessions
from waterbill.calendar import YearMonth

FIN = "5ZK3LRT"


def _household(server: LiveServer) -> None:
    this_month = YearMonth.of(clock.today())
    last = this_month.shift(-1)
    with server.engine.begin() as db:
        first = add_subscriber(db, code="0104410203", holder_fin=FIN)
        add_subscriber(db, code="0104410299", holder_fin=FIN, street="Nizami küç.")
        add_subscriber(db, code="0200000001", holder_fin="7AB2CDE", surname="Məmmədova")
        add_invoice(db, first, str(last), "water", consumption="7.000")
        add_invoice(db, first, str(last), "wastewater", consumption="7.000")
        add_payment(db, first, clock.now().replace(microsecond=0), "4.90")


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


def test_a_citizen_signs_in_sees_own_accounts_opens_a_statement_and_signs_out(
    live_server: LiveServer,
) -> None:
    _household(live_server)
    with _client(live_server) as client:
        back = sign_in(client, FIN)
        landed = client.get(back.headers["location"])
        assert landed.status_code == 303
        assert landed.headers["location"] == "/statements"

        form = client.get("/statements")
        assert form.status_code == 200
        soup = BeautifulSoup(form.text, "html.parser")
        own = [link.get_text() for link in soup.select("ul.accounts a")]
        assert own == ["0104410203", "0104410299"]

        page = client.get("/statements/0104410203")
        assert page.status_code == 200
        text = BeautifulSoup(page.text, "html.parser").get_text(" ")
        assert "Hüseynov Qorxmaz Əli oğlu" in text
        assert "Bakı, Nəsimi r., Füzuli küç. 12, m. 34" in text
        assert len(BeautifulSoup(page.text, "html.parser").select("table.months tbody tr")) == 12
        assert "7,00\xa0₼" in text  # invoiced last month: 4.90 + 2.10, CLDR az format

        accounts = client.get("/api/v1/me/accounts")
        assert accounts.json() == {"accounts": [{"code": "0104410203"}, {"code": "0104410299"}]}
        statement = client.get("/api/v1/statements/0104410203").json()
        assert statement["totals"]["invoiced"] == "7.00"
        assert statement["totals"]["paid"] == "4.90"
        assert statement["closing_balance"] == "2.10"

        csrf = form_fields(client.get("/statements").text, "/auth/logout")["csrf_token"]
        out = client.post("/auth/logout", data={"csrf_token": csrf})
        assert out.status_code == 303
        assert client.get("/statements").status_code == 303
        assert client.get("/api/v1/me/accounts").status_code == 401
    with live_server.engine.connect() as db:
        assert db.execute(select(func.count()).select_from(web_sessions)).scalar_one() == 0


def test_asan_imza_sign_in_asks_for_a_confirmation_and_ends_signed_in(
    live_server: LiveServer,
) -> None:
    _household(live_server)
    with _client(live_server) as client:
        back = sign_in(client, FIN, method="asan_imza", next_path="/statements/0104410203")
        landed = client.get(back.headers["location"])
        assert landed.headers["location"] == "/statements/0104410203"
        assert client.get("/statements/0104410203").status_code == 200


def test_a_typed_well_formed_fin_signs_in_a_citizen_without_accounts(
    live_server: LiveServer,
) -> None:
    with _client(live_server) as client:
        page = open_sign_in_page(client)
        fields = form_fields(page.text, "/dev-idp/authorize")
        fields.update(method="password", fin_typed="94fmddd")
        back = client.post("/dev-idp/authorize", data=fields)
        client.get(back.headers["location"])
        assert client.get("/api/v1/me/accounts").json() == {"accounts": []}


def test_sign_out_without_the_csrf_token_is_refused_and_keeps_the_session(
    live_server: LiveServer,
) -> None:
    _household(live_server)
    with _client(live_server) as client:
        client.get(sign_in(client, FIN).headers["location"])
        refused = client.post("/auth/logout", data={"csrf_token": "forged"})
        assert refused.status_code == 403
        assert client.get("/statements").status_code == 200


def test_sign_in_renews_the_session_id(live_server: LiveServer) -> None:
    _household(live_server)
    with _client(live_server) as client:
        open_sign_in_page(client)
        before = dict(client.cookies)
        back = sign_in(client, FIN)
        client.get(back.headers["location"])
        after = dict(client.cookies)
    assert before["waterbill_session"] != after["waterbill_session"]
    with live_server.engine.connect() as db:
        stored = set(db.scalars(select(web_sessions.c.id_hash)))
    assert after["waterbill_session"] not in stored  # only a hash of the id is stored


def test_an_authorization_code_works_once(live_server: LiveServer) -> None:
    _household(live_server)
    with _client(live_server) as client:
        back = sign_in(client, FIN)
        callback = back.headers["location"]
        assert client.get(callback).status_code == 303
    with _client(live_server) as attacker:
        replay = attacker.get(callback)
        assert replay.status_code == 400
        code = parse_qs(urlsplit(callback).query)["code"][0]
        token = attacker.post(
            "/dev-idp/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": f"{live_server.url}/auth/callback",
                "code_verifier": "x" * 64,
                "client_id": "waterbill",
            },
        )
        assert token.status_code == 400
        assert token.json()["error"] == "invalid_grant"


def test_the_provider_refuses_a_code_redeemed_without_the_right_pkce_verifier(
    live_server: LiveServer,
) -> None:
    _household(live_server)
    with _client(live_server) as client:
        back = sign_in(client, FIN)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    with _client(live_server) as attacker:
        token = attacker.post(
            "/dev-idp/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": f"{live_server.url}/auth/callback",
                "code_verifier": "a-verifier-the-attacker-made-up-0123456789-abcdefghijklmnop",
                "client_id": "waterbill",
            },
        )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant"


def test_a_callback_with_another_state_is_refused(live_server: LiveServer) -> None:
    _household(live_server)
    with _client(live_server) as client:
        back = sign_in(client, FIN)
        query = parse_qs(urlsplit(back.headers["location"]).query)
        refused = client.get("/auth/callback", params={"code": query["code"][0], "state": "forged"})
        assert refused.status_code == 400
        assert "<h1>Giriş başa çatmadı" in refused.text
        assert client.get("/statements").status_code == 303


def test_the_dev_token_command_gives_a_bearer_token_the_api_accepts(
    live_server: LiveServer,
) -> None:
    _household(live_server)
    settings = live_server.settings
    env = {
        **os.environ,
        "WATERBILL_ENV": "development",
        "WATERBILL_DATABASE_URL": settings.database_url,
        "WATERBILL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "WATERBILL_PUBLIC_URL": live_server.url,
    }
    token = subprocess.run(
        [sys.executable, "-m", "waterbill.cli", "dev-token", "--fin", FIN],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    with _client(live_server) as client:
        headers = {"Authorization": f"Bearer {token}"}
        statement = client.get("/api/v1/statements/0104410203", headers=headers)
        assert statement.status_code == 200
        assert statement.json()["totals"]["invoiced"] == "7.00"
        assert client.get("/api/v1/me/accounts", headers=headers).json()["accounts"][0] == {
            "code": "0104410203"
        }
