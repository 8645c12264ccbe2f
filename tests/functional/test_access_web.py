"""The access policy and the access log through the real app: pages and API, both policies.

uvicorn, HTTP, the bundled provider's sign-in and tokens, and the database are all real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, select

from tests.functional.signin import form_fields, sign_in
from tests.support.audit import make_every_append_collide
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import LiveServer, serve
from waterbill import clock
from waterbill.access.grants import grant_authorisation
from waterbill.access.policy import pseudonym_of
from waterbill.audit.service import verify_chain
from waterbill.audit.tables import audit_events
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.auth.identity import Citizen
from waterbill.calendar import YearMonth
from waterbill.db.database import Database

CODE = "0104410203"
HOLDER, AUTHORISED, OTHER, ADMIN = "5ZK3LRT", "7ABCD12", "94FMDDD", "2XY4K7M"
PERSONAL = ("Hüseynov", "Qorxmaz", "Əli oğlu", "Füzuli", HOLDER)


POLICIES = ["masked-for-others", "holder-only"]
both_policies = pytest.mark.parametrize("server", POLICIES, indirect=True)


@pytest.fixture
def server(
    request: pytest.FixtureRequest, engine: Engine, database_url: str
) -> Iterator[LiveServer]:
    last_month = str(YearMonth.of(clock.today()).shift(-1))
    with engine.begin() as db:
        sid = add_subscriber(db, code=CODE, holder_fin=HOLDER)
        add_invoice(db, sid, last_month, "water", consumption="7.000")
        other = add_subscriber(
            db,
            code="0104410299",
            holder_fin=OTHER,
            surname="Quliyeva",
            name="Leyla",
            patronymic="Rəşid qızı",
            street="Nizami küç.",
        )
        add_invoice(db, other, last_month, "water", consumption="3.000")
    policy = getattr(request, "param", "masked-for-others")
    with serve(database_url, engine, access_policy=policy, admin_fins=[ADMIN]) as live:
        yield live


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


@contextmanager
def signed_in(server: LiveServer, fin: str) -> Iterator[httpx.Client]:
    with client(server) as browser:
        back = sign_in(browser, fin)
        assert browser.get(back.headers["location"]).status_code == 303
        yield browser


def bearer(server: LiveServer, fin: str) -> dict[str, str]:
    with server.engine.connect() as db:
        claims = citizen_claims(db=db, fin=fin, method="asan_imza")
    return {"Authorization": f"Bearer {access_token(server.settings, claims=claims)}"}


def grant(server: LiveServer, fin: str) -> None:
    with signed_in(server, HOLDER) as holder:
        page = holder.get("/me/authorisations")
        fields = form_fields(page.text, "/me/authorisations")
        answer = holder.post("/me/authorisations", data={**fields, "fin": fin})
        assert answer.status_code == 303, answer.text


def authorise_directly(server: LiveServer, fin: str) -> None:
    """Through the service (the pages' grant form has its own test)."""
    database = Database(server.settings)
    try:
        pseudonym = pseudonym_of(HOLDER, server.settings)
        holder = Citizen(HOLDER, "Hüseynov", "Qorxmaz", "", "asan_imza", pseudonym)
        grant_authorisation(
            database=database,
            holder=holder,
            code=CODE,
            grantee_fin=fin,
            channel="web",
        )
    finally:
        database.dispose()


def page_text(response: httpx.Response) -> str:
    return BeautifulSoup(response.text, "html.parser").get_text(" ")


def events(server: LiveServer) -> list[tuple[str, str | None, str | None, str | None]]:
    with server.engine.connect() as db:
        rows = db.execute(
            select(
                audit_events.c.tag,
                audit_events.c.actor,
                audit_events.c.channel,
                audit_events.c.result,
            ).order_by(audit_events.c.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def assert_well_formed(response: httpx.Response) -> None:
    soup = BeautifulSoup(response.text, "html.parser")
    headings = soup.find_all("h1")
    assert len(headings) == 1
    assert soup.title is not None
    assert soup.title.get_text().startswith(headings[0].get_text().strip())
    for form in soup.find_all("form"):
        assert form.get("action")
    for field in soup.find_all("input"):
        if field.get("type") != "hidden":
            assert soup.find("label", attrs={"for": field.get("id")}) is not None, field


@both_policies
@pytest.mark.parametrize("fin", [HOLDER, AUTHORISED, ADMIN])
def test_holder_authorised_and_admin_see_the_full_statement_on_page_and_api(
    server: LiveServer, fin: str
) -> None:
    authorise_directly(server, AUTHORISED)
    with signed_in(server, fin) as browser:
        page = browser.get(f"/statements/{CODE}")
        assert page.status_code == 200
        assert "Hüseynov Qorxmaz Əli oğlu" in page_text(page)
        assert "Füzuli küç. 12, m. 34" in page_text(page)
    with client(server) as api:
        answer = api.get(f"/api/v1/statements/{CODE}", headers=bearer(server, fin))
    assert answer.status_code == 200
    body = answer.json()
    assert body["masked"] is False
    assert body["subscriber"]["surname"] == "Hüseynov"
    assert body["subscriber"]["persons_served"] == 4
    pseudonym = pseudonym_of(fin, server.settings)
    views = [e for e in events(server) if e[0] == "statement:view" and e[1] == pseudonym]
    assert [(channel, result) for _, _, channel, result in views] == [
        ("web", "full"),
        ("api", "full"),
    ]


@both_policies
def test_another_citizen_is_masked_or_refused_on_page_and_api_by_policy(
    server: LiveServer,
) -> None:
    policy = server.settings.access_policy
    with signed_in(server, OTHER) as browser:
        page = browser.get(f"/statements/{CODE}")
    with client(server) as api:
        answer = api.get(
            f"/api/v1/statements/{CODE}",
            headers={**bearer(server, OTHER), "Accept-Language": "en"},
        )
    for leaked in PERSONAL:
        assert leaked not in page.text
        assert leaked not in answer.text
    if policy == "holder-only":
        assert page.status_code == 403
        assert "Bu çıxarışı yalnız 0104410203 hesabının sahibi" in page_text(page)
        assert answer.status_code == 403
        assert answer.json()["error"] == {
            "code": "forbidden",
            "message": "Only the holder of the account 0104410203, or a citizen the holder "
            "authorised, may see this statement.",
        }
    else:
        assert page.status_code == 200
        text_on_page = page_text(page)
        assert "Q. H." in text_on_page
        assert "Bakı, Nəsimi r." in text_on_page
        assert "Siz bu hesabın sahibi deyilsiniz" in text_on_page
        assert answer.status_code == 200
        body = answer.json()
        assert (body["masked"], body["masked_reason"]) == (True, "not_holder")
        subscriber = body["subscriber"]
        assert (subscriber["name"], subscriber["surname"], subscriber["patronymic"]) == (
            "Q.",
            "H.",
            "",
        )
        assert subscriber["address"]["text"] == "Bakı, Nəsimi r."
        assert subscriber["persons_served"] is None
        # The amount due alone: no month, no consumption, no total that tells who lives there.
        assert (body["months"], body["totals"], body["opening_balance"]) == ([], None, None)
        assert (body["closing_balance"], body["balance_kind"]) == ("4.90", "debt")
        assert "4,90" in text_on_page
        assert "m³" not in text_on_page
    expected = "refused" if policy == "holder-only" else "masked"
    mine = [e for e in events(server) if e[1] == pseudonym_of(OTHER, server.settings)]
    assert [(e[2], e[3]) for e in mine if e[3] is not None] == [
        ("web", expected),
        ("api", expected),
    ]


@both_policies
def test_an_anonymous_visitor_gets_nothing_on_page_or_api(server: LiveServer) -> None:
    with client(server) as anonymous:
        page = anonymous.get(f"/statements/{CODE}")
        answer = anonymous.get(f"/api/v1/statements/{CODE}")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    for leaked in PERSONAL:
        assert leaked not in answer.text


@both_policies
def test_changing_the_code_in_the_url_never_unmasks_another_household(
    server: LiveServer,
) -> None:
    with signed_in(server, OTHER) as browser:
        own = browser.get("/statements/0104410299")
        assert own.status_code == 200
        assert "Quliyev" in page_text(own)
        for path in (f"/statements/{CODE}", "/statements?code=010-441-0203"):
            response = browser.get(path)
            assert response.status_code in (200, 403)
            for leaked in PERSONAL:
                assert leaked not in response.text
        api = browser.get(f"/api/v1/statements/{CODE}")
        for leaked in PERSONAL:
            assert leaked not in api.text


def test_the_holder_sees_every_view_with_viewers_masked(server: LiveServer) -> None:
    with signed_in(server, OTHER) as other:
        other.get(f"/statements/{CODE}")
    with signed_in(server, HOLDER) as holder:
        holder.get(f"/statements/{CODE}")
        page = holder.get("/me/views")
        api = holder.get("/api/v1/me/views")
    assert page.status_code == 200
    assert_well_formed(page)
    rows = BeautifulSoup(page.text, "html.parser").select("section.account-views tbody tr")
    first, second = (" ".join(row.get_text(" ").split()) for row in rows[:2])
    assert "siz" in first
    assert "sayt" in first
    assert "tam çıxarış" in first
    assert "başqa vətəndaş …" + pseudonym_of(OTHER, server.settings)[-6:] in second
    assert OTHER not in page.text
    views = api.json()["accounts"][0]
    assert views["code"] == CODE
    assert [(v["viewer"]["kind"], v["channel"]) for v in views["views"]] == [
        ("you", "web"),
        ("other", "web"),
    ]
    assert OTHER not in api.text


def test_a_holder_authorises_and_revokes_and_both_are_logged(server: LiveServer) -> None:
    grant(server, AUTHORISED.lower())
    with signed_in(server, AUTHORISED) as friend:
        assert "Hüseynov" in friend.get(f"/statements/{CODE}").text
    with signed_in(server, HOLDER) as holder:
        page = holder.get("/me/authorisations")
        assert page.status_code == 200
        assert_well_formed(page)
        assert AUTHORISED in page_text(page)
        assert holder.get("/api/v1/me/authorisations").json()["accounts"][0]["authorisations"][0][
            "active"
        ]
        fields = form_fields(page.text, "/me/authorisations/revoke")
        assert holder.post("/me/authorisations/revoke", data=fields).status_code == 303
    with signed_in(server, AUTHORISED) as friend:
        after = friend.get(f"/statements/{CODE}")
        assert "Hüseynov" not in after.text
    tags = [tag for tag, *_ in events(server)]
    assert tags.count("authorisation:granted") == 1
    assert tags.count("authorisation:revoked") == 1


def test_an_authorisation_without_the_csrf_token_is_refused(server: LiveServer) -> None:
    with signed_in(server, HOLDER) as holder:
        refused = holder.post("/me/authorisations", data={"code": CODE, "fin": OTHER})
        assert refused.status_code == 403
        assert OTHER not in holder.get("/me/authorisations").text


def test_sign_in_and_sign_out_are_logged(server: LiveServer) -> None:
    with signed_in(server, HOLDER) as holder:
        fields = form_fields(holder.get("/statements").text, "/auth/logout")
        assert holder.post("/auth/logout", data=fields).status_code == 303
    pseudonym = pseudonym_of(HOLDER, server.settings)
    logged = [(tag, channel) for tag, actor, channel, _ in events(server) if actor == pseudonym]
    assert logged == [("auth:login:success", "web"), ("auth:logout", "web")]


def test_only_an_admin_sees_the_oversight_page(server: LiveServer) -> None:
    with signed_in(server, OTHER) as scraper:
        for code in (CODE, "0104410299", "0104410288"):
            scraper.get(f"/statements/{code}")
        assert scraper.get("/admin/audit").status_code == 403
    with signed_in(server, ADMIN) as admin:
        page = admin.get("/admin/audit")
        by_citizen = admin.get("/admin/audit", params={"citizen": OTHER})
    assert page.status_code == 200
    assert_well_formed(page)
    top = BeautifulSoup(page.text, "html.parser").select("table.top-viewers tbody tr")
    assert pseudonym_of(OTHER, server.settings) in top[0].get_text()
    assert "unknown_code" in page.text
    assert by_citizen.status_code == 200
    assert OTHER not in by_citizen.text.replace(f'value="{OTHER}"', "")


def test_no_statement_leaves_the_app_when_the_view_cannot_be_logged(
    server: LiveServer,
) -> None:
    headers = bearer(server, HOLDER)
    with client(server) as api:
        assert api.get(f"/api/v1/statements/{CODE}", headers=headers).status_code == 200
        with server.engine.begin() as db:
            make_every_append_collide(db)
        answer = api.get(f"/api/v1/statements/{CODE}", headers=headers)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "audit_unavailable"
    for leaked in PERSONAL[:-1]:
        assert leaked not in answer.text


def test_the_log_written_through_the_app_verifies(server: LiveServer) -> None:
    with signed_in(server, HOLDER) as holder:
        holder.get(f"/statements/{CODE}")
        holder.get("/api/v1/statements/9999999999")
    with server.engine.connect() as db:
        report = verify_chain(db=db)
    assert report.intact, report.describe()
    assert report.rows_checked == 3
