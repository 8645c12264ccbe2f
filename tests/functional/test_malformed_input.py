"""A body the framework cannot parse is the caller's fault: 400 with a clear message, never a 500.

Broken multipart bodies on the forms (pages, the provider's endpoints, the dispute API) and JSON
that is not UTF-8 on the staff and dispute APIs, each sent over real HTTP to the real app.
"""

from __future__ import annotations

import httpx
import pytest

from tests.functional.conftest import STAFF_FIN
from tests.functional.signin import bearer
from tests.support.live_server import LiveServer
from waterbill.ingest.channels import add_channel

BROKEN_MULTIPART = {
    "no boundary": ("multipart/form-data", b"--x\r\n"),
    "a part without a name": (
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--x--\r\n",
    ),
    "garbage": ("multipart/form-data; boundary=x", b"\x00\x01 not multipart at all"),
}
FORMS = [
    "/verify/K7Q4M2XD9TPA3B6C",
    "/auth/logout",
    "/dev-idp/authorize",
    "/dev-idp/authorize/continue",
    "/dev-idp/token",
    "/me/authorisations",
    "/disputes",
    "/api/v1/disputes",
]
JSON_APIS = [
    "/api/v1/admin/disputes/AZS-2026-000001/answer",
    "/api/v1/admin/disputes/AZS-2026-000001/close",
    "/api/v1/disputes",
    "/api/v1/payments",
]


@pytest.fixture
def server(staff_live_server: LiveServer) -> LiveServer:
    return staff_live_server


@pytest.fixture(scope="module")
def credentials(staff_live_server: LiveServer) -> dict[str, str]:
    """An admin's bearer token, and a payment channel's key for the payment intake."""
    with staff_live_server.engine.begin() as db:
        key = add_channel(db=db, name="kapital-bank")
    return {**bearer(staff_live_server.settings, STAFF_FIN), "X-Api-Key": key}


def _assert_refused_clearly(answer: httpx.Response, path: str) -> None:
    assert answer.status_code in (400, 422), (path, answer.status_code, answer.text[:300])
    if path.startswith("/api/"):
        error = answer.json()["error"]
        assert {"code", "message"} <= set(error)
        assert error["message"]


@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("kind", list(BROKEN_MULTIPART))
def test_a_broken_multipart_body_is_refused_with_400(
    server: LiveServer, credentials: dict[str, str], path: str, kind: str
) -> None:
    content_type, body = BROKEN_MULTIPART[kind]
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for sent in ({}, credentials):
            answer = client.post(path, content=body, headers={"Content-Type": content_type, **sent})
            if answer.status_code in (401, 403):
                continue  # refused for the credentials before the body was read: no harm either
            _assert_refused_clearly(answer, path)


@pytest.mark.parametrize("path", JSON_APIS)
def test_json_that_is_not_utf8_is_refused_with_the_error_object(
    server: LiveServer, credentials: dict[str, str], path: str
) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        answer = client.post(
            path,
            content=b'{"answer": "\xff\xfe", "note": "\xc3"}',
            headers={
                "Content-Type": "application/json",
                "Accept-Language": "en",
                **credentials,
            },
        )
    _assert_refused_clearly(answer, path)


def test_the_refusal_of_an_unreadable_body_speaks_the_citizens_language(
    server: LiveServer,
    credentials: dict[str, str],
) -> None:
    content_type, body = BROKEN_MULTIPART["no boundary"]
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for locale, text in (
            ("en", "The request could not be read"),
            ("ru", "Не удалось прочитать запрос"),
            ("az", "Sorğunu oxumaq mümkün olmadı"),
        ):
            page = client.post(
                "/verify/K7Q4M2XD9TPA3B6C",
                content=body,
                headers={"Content-Type": content_type, "Accept-Language": locale},
            )
            assert page.status_code == 400
            assert text in page.text
            api = client.post(
                "/api/v1/admin/disputes/AZS-2026-000001/answer",
                content=b"\xff",
                headers={
                    "Content-Type": "application/json",
                    "Accept-Language": locale,
                    **credentials,
                },
            )
            assert api.status_code == 400
            assert api.json()["error"]["code"] == "malformed_request"
            assert text in api.json()["error"]["message"]


def test_an_offset_beyond_what_a_database_integer_holds_is_no_500(
    server: LiveServer, credentials: dict[str, str]
) -> None:
    huge = str(2**100)
    with httpx.Client(base_url=server.url, timeout=10, headers=credentials) as client:
        page = client.get("/admin/disputes", params={"offset": huge})
        api = client.get("/api/v1/admin/disputes", params={"offset": huge})
    assert page.status_code == 200, page.text[:300]
    assert api.status_code == 422
    assert api.json()["error"]["code"] == "validation_error"
