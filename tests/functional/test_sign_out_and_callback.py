"""Only a sign-in's own answer touches the session; sign-out ends the provider's session too.

Against the bundled provider, which keeps a portal session of its own (it offers to continue as
the citizen who signed in) and ends it at its ``end_session_endpoint``; on both database engines
where the app's session is what is at stake.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
from bs4 import BeautifulSoup

from tests.functional.signin import form_fields, open_sign_in_page, sign_in
from tests.support.live_server import LiveServer

FIN = "5ZK3LRT"
CONTINUE = "/dev-idp/authorize/continue"
PORTAL_COOKIE = "devidp_session"


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


@contextmanager
def _signed_in(server: LiveServer) -> Iterator[httpx.Client]:
    with _client(server) as client:
        landed = client.get(sign_in(client, FIN).headers["location"])
        assert landed.status_code == 303
        assert client.get("/statements").status_code == 200
        yield client


def _offers_to_continue(server: LiveServer, browser: httpx.Client) -> bool:
    """Whether the portal, with this browser's portal cookie, offers to continue signed in."""
    with _client(server) as probe:
        remembered = browser.cookies.get(PORTAL_COOKIE, path="/dev-idp")
        if remembered:
            probe.cookies.set(PORTAL_COOKIE, remembered, path="/dev-idp")
        page = open_sign_in_page(probe)
    return BeautifulSoup(page.text, "html.parser").find("form", action=CONTINUE) is not None


def test_a_plain_get_of_the_callback_does_not_sign_the_citizen_out(
    live_server: LiveServer,
) -> None:
    with _signed_in(live_server) as client:
        for params in ({}, {"code": "x", "state": "y"}, {"error": "access_denied"}):
            answer = client.get("/auth/callback", params=params)
            assert answer.status_code < 500
            assert client.get("/statements").status_code == 200, f"signed out by {params}"


def test_a_forged_callback_during_a_sign_in_does_not_spoil_it(
    sqlite_live_server: LiveServer,
) -> None:
    with _client(sqlite_live_server) as client:
        page = open_sign_in_page(client)
        fields = form_fields(page.text, "/dev-idp/authorize")
        forged = client.get("/auth/callback", params={"code": "x", "state": "forged"})
        assert forged.status_code == 400
        fields.update(method="e_signature", fin=FIN)
        back = client.post("/dev-idp/authorize", data=fields)
        landed = client.get(back.headers["location"])
        assert landed.status_code == 303
        assert landed.headers["location"] == "/statements"
        assert client.get("/statements").status_code == 200


def test_sign_out_ends_the_providers_session_so_the_next_person_must_sign_in_again(
    live_server: LiveServer,
) -> None:
    url = live_server.url
    with _signed_in(live_server) as client:
        assert _offers_to_continue(live_server, client), (
            "the portal remembers the citizen (single sign-on)"
        )
        csrf = form_fields(client.get("/statements").text, "/auth/logout")["csrf_token"]

        out = client.post("/auth/logout", data={"csrf_token": csrf})
        assert out.status_code == 303
        target = urlsplit(out.headers["location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{url}/dev-idp/end_session"
        query = parse_qs(target.query)
        assert query["post_logout_redirect_uri"] == [f"{url}/"]
        assert query["client_id"] == ["waterbill"]
        assert query["id_token_hint"][0].count(".") == 2

        back = client.get(out.headers["location"])
        assert back.status_code == 303
        assert back.headers["location"] == f"{url}/"
        assert client.get("/statements").status_code == 303
        assert not _offers_to_continue(live_server, client), "the portal forgot the citizen"


def test_the_providers_sign_out_refuses_an_unregistered_return_address(
    sqlite_live_server: LiveServer,
) -> None:
    with _client(sqlite_live_server) as client:
        refused = client.get(
            "/dev-idp/end_session", params={"post_logout_redirect_uri": "https://evil.example/"}
        )
    assert refused.status_code == 400
    assert "location" not in refused.headers


def test_while_the_portal_remembers_the_citizen_a_new_sign_in_continues_without_a_password(
    sqlite_live_server: LiveServer,
) -> None:
    with _signed_in(sqlite_live_server) as first, _client(sqlite_live_server) as second:
        second.cookies.set(PORTAL_COOKIE, first.cookies[PORTAL_COOKIE], path="/dev-idp")
        page = open_sign_in_page(second)
        back = second.post(CONTINUE, data=form_fields(page.text, CONTINUE))
        assert back.status_code == 303
        assert second.get(back.headers["location"]).status_code == 303
        assert second.get("/statements").status_code == 200
        assert second.get("/api/v1/me/accounts").status_code == 200
