"""Drives the bundled provider's sign-in page the way a browser does: parse the form, post it."""

from __future__ import annotations

import httpx
from bs4 import BeautifulSoup

from waterbill.auth.devidp.service import access_token
from waterbill.config import Settings


def form_fields(html: str, action: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    form = soup.find("form", action=action)
    assert form is not None, f"no form posting to {action}"
    return {
        field["name"]: field.get("value", "")
        for field in form.find_all("input")
        if field.get("type") == "hidden"
    }


def open_sign_in_page(client: httpx.Client, next_path: str = "/statements") -> httpx.Response:
    """Follows the app's redirects up to the provider's sign-in page."""
    response = client.get(next_path)
    while response.status_code in (302, 303, 307) and "/dev-idp/authorize" not in str(response.url):
        response = client.get(response.headers["location"])
    if response.status_code in (302, 303, 307):
        response = client.get(response.headers["location"])
    assert response.status_code == 200, response.text
    assert "/dev-idp/authorize" in str(response.url)
    return response


def sign_in(
    client: httpx.Client,
    fin: str,
    *,
    method: str = "e_signature",
    next_path: str = "/statements",
) -> httpx.Response:
    """The whole code flow; returns the provider's redirect back to the app (not yet followed)."""
    page = open_sign_in_page(client, next_path)
    fields = form_fields(page.text, "/dev-idp/authorize")
    fields.update(method=method, fin=fin)
    if method == "asan_imza":
        fields.update(phone="+994501234567", user_id="123456")
        confirm = client.post("/dev-idp/authorize", data=fields)
        assert confirm.status_code == 200, confirm.text
        fields = form_fields(confirm.text, "/dev-idp/authorize")
    answer = client.post("/dev-idp/authorize", data=fields)
    assert answer.status_code == 303, answer.text
    return answer


def bearer(settings: Settings, fin: str) -> dict[str, str]:
    """The Authorization header of an access token the bundled provider would issue to ``fin``."""
    claims = {"sub": fin, "fin": fin, "amr": ["sc"], "family_name": "", "given_name": ""}
    return {"Authorization": f"Bearer {access_token(settings, claims=claims)}"}
