"""Disputes end to end: a citizen files from the statement, staff answer, the citizen reads it.

The real app under uvicorn, real HTTP, the bundled identity provider and the real database.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import Engine, select

from tests.functional.signin import form_fields, sign_in
from tests.functional.test_pages import assert_well_formed
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.factories.photos import gif, jpeg_with_exif
from tests.support.live_server import LiveServer, serve
from waterbill import clock
from waterbill.access.repository import add_grant
from waterbill.audit.tables import audit_events
from waterbill.calendar import YearMonth
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.disputes.photos import clean_photo

HOLDER_FIN = "5ZK3LRT"
STAFF_FIN = "2QWE3RT"
STRANGER_FIN = "7ABCD12"
REFERENCE = re.compile(r"AZS-\d{4}-\d{6}")


@contextmanager
def dispute_server(database_url: str, engine: Engine) -> Iterator[LiveServer]:
    """The app with one admin and a small daily limit."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WATERBILL_ADMIN_FINS", STAFF_FIN)
        env.setenv("WATERBILL_DISPUTE_DAILY_LIMIT", "3")
        with serve(database_url, engine) as server:
            yield server


@pytest.fixture
def server(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    """On each engine: for the whole journey."""
    with dispute_server(database_url, engine) as live:
        yield live


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One SQLite-backed server for the refusal cases; each test uses its own subscriber code."""
    directory = tmp_path_factory.mktemp("disputes")
    url = f"sqlite:///{directory / 'waterbill.db'}"
    upgrade(url)
    engine = make_engine(url, Settings(database_url=url))
    try:
        with dispute_server(url, engine) as live:
            yield live
    finally:
        engine.dispose()


def _this_month() -> YearMonth:
    return YearMonth.of(clock.today())


def _household(server: LiveServer, code: str, holder_fin: str = HOLDER_FIN) -> str:
    """A household with last month billed; returns that month."""
    last = str(_this_month().shift(-1))
    with server.engine.begin() as db:
        subscriber_id = add_subscriber(db, code=code, holder_fin=holder_fin)
        add_invoice(db, subscriber_id, last, "water", consumption="12.000")
        add_invoice(db, subscriber_id, last, "wastewater", consumption="12.000")
    return last


@contextmanager
def _signed_in(server: LiveServer, fin: str, language: str = "az") -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url,
        follow_redirects=False,
        timeout=20,
        headers={"Accept-Language": language},
    ) as client:
        back = sign_in(client, fin)
        landed = client.get(back.headers["location"])
        assert landed.status_code == 303
        yield client


def _page(response: httpx.Response) -> BeautifulSoup:
    return assert_well_formed(response.text)


def _csrf(client: httpx.Client) -> str:
    return form_fields(client.get("/statements").text, "/auth/logout")["csrf_token"]


def _noisy_jpeg() -> bytes:
    """A JPEG of some megabytes, as a phone takes: noise does not compress."""
    noise = Image.frombytes("RGB", (1600, 1200), random.Random(7).randbytes(1600 * 1200 * 3))
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _filing(code: str, period: str, **overrides: str) -> dict[str, str]:
    return {
        "code": code,
        "period": period,
        "service": "water",
        "reason": "meter_reading_wrong",
        "text": "Sayğacda 1234 m³ göstərilir.",
        **overrides,
    }


def test_a_citizen_disputes_a_month_in_two_clicks_and_reads_the_answer_beside_it(
    server: LiveServer,
) -> None:
    code = "0104410203"
    month = _household(server, code)
    with _signed_in(server, HOLDER_FIN) as citizen, _signed_in(server, STAFF_FIN) as staff:
        statement = _page(citizen.get(f"/statements/{code}"))
        links = [a["href"] for a in statement.select("a.dispute-link")]
        assert len(links) == 12
        link = next(href for href in links if f"period={month}" in href)

        # Click 1: the form, with the month and a service already chosen.
        form_page = citizen.get(link)
        assert form_page.status_code == 200
        form = _page(form_page).find("form", action="/disputes")
        assert form is not None
        assert form.find("option", selected=True)["value"] == month
        assert form.find("input", attrs={"name": "service", "checked": True})["value"] == "water"
        fields = form_fields(form_page.text, "/disputes")
        assert fields["code"] == code

        # Click 2: send it (the reason is the one choice the citizen makes).
        sent = citizen.post(
            "/disputes",
            data={**fields, "period": month, "service": "water", "reason": "meter_reading_wrong"},
            files={"photo": ("meter.jpg", jpeg_with_exif(), "image/jpeg")},
        )
        assert sent.status_code == 303, sent.text
        location = sent.headers["location"]
        reference_match = REFERENCE.search(location)
        assert reference_match is not None
        reference = reference_match.group(0)
        shown = _page(citizen.get(location))
        assert "qəbul edilib" in shown.select_one("dd.status").get_text()
        mine = _page(citizen.get("/disputes"))
        assert [a.get_text() for a in mine.select("table.disputes a")] == [reference]

        # Staff see it in the queue, filtered, and answer it.
        queue = _page(staff.get("/admin/disputes", params={"status": "received", "code": code}))
        assert [a.get_text() for a in queue.select("table.disputes a")] == [reference]
        detail = staff.get(f"/admin/disputes/{reference}")
        answer_fields = form_fields(detail.text, f"/admin/disputes/{reference}/answer")
        photo = staff.get(f"/admin/disputes/{reference}/photo")
        assert photo.headers["content-type"] == "image/jpeg"
        assert not Image.open(io.BytesIO(photo.content)).getexif()
        empty = staff.post(
            f"/admin/disputes/{reference}/answer", data={**answer_fields, "answer": "  "}
        )
        assert empty.status_code == 422
        assert _page(empty).select_one("p.problem").get_text() == "Vətəndaşa cavabı yazın."
        answered = staff.post(
            f"/admin/disputes/{reference}/answer",
            data={**answer_fields, "answer": "Göstərici yoxlanıldı və düzəldildi: 1234 m³."},
        )
        assert answered.status_code == 303

        # The citizen reads the answer beside that month, on the request page and in the API.
        statement = _page(citizen.get(f"/statements/{code}"))
        row = next(
            tr for tr in statement.select("table.months tbody tr") if reference in tr.get_text()
        )
        assert "Göstərici yoxlanıldı və düzəldildi" in row.select_one("p.answer").get_text()
        request_page = _page(citizen.get(f"/disputes/{reference}")).get_text(" ")
        assert "cavablandırılıb" in request_page
        assert "Göstərici yoxlanıldı" in request_page
        body = citizen.get(f"/api/v1/disputes/{reference}").json()
        assert body["status"] == "answered"
        assert [step["to_status"] for step in body["history"]] == ["received", "answered"]
        assert "actor" not in body["history"][1]  # staff are not named to the citizen

        # Staff close it through the API (cookie session: the CSRF token goes in a header).
        closed = staff.post(
            f"/api/v1/admin/disputes/{reference}/close",
            json={"note": "Həll olundu."},
            headers={"X-CSRF-Token": _csrf(staff)},
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed"
        assert closed.json()["answered_by"].startswith("c_")

    with server.engine.connect() as db:
        logged = db.execute(
            select(audit_events.c.tag, audit_events.c.channel)
            .where(audit_events.c.tag.startswith("dispute:"))
            .order_by(audit_events.c.id)
        ).all()
    assert [tuple(row) for row in logged] == [
        ("dispute:filed", "web"),
        ("dispute:answered", "web"),
        ("dispute:closed", "api"),
    ]


def test_a_photo_filed_through_one_instance_is_served_by_another_over_the_same_database(
    engine: Engine, database_url: str
) -> None:
    code = "0104410205"
    sent = jpeg_with_exif()
    with dispute_server(database_url, engine) as one, dispute_server(database_url, engine) as two:
        month = _household(one, code)
        with _signed_in(one, HOLDER_FIN) as citizen:
            filed = citizen.post(
                "/api/v1/disputes",
                data=_filing(code, month),
                files={"photo": ("Qorxmaz_5ZK3LRT.jpg", sent, "image/jpeg")},
                headers={"X-CSRF-Token": _csrf(citizen)},
            )
            assert filed.status_code == 201, filed.text
            reference = filed.json()["reference"]
            # The session is in the database too: the same cookie, the other instance.
            served = citizen.get(f"{two.url}/disputes/{reference}/photo")

        assert served.status_code == 200
        assert served.content == clean_photo(sent).data
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["content-length"] == str(len(served.content))
        assert served.headers["cache-control"] == "private, no-store"
        assert served.headers["x-content-type-options"] == "nosniff"
        disposition = served.headers["content-disposition"]
        assert disposition == 'inline; filename="saygac-foto.jpg"'
        assert all(leak not in disposition for leak in (reference, code, HOLDER_FIN, "Qorxmaz"))

        with _signed_in(two, STAFF_FIN) as staff:
            assert staff.get(f"/admin/disputes/{reference}/photo").content == served.content
        with _signed_in(two, STRANGER_FIN) as stranger:
            refused = stranger.get(f"/disputes/{reference}/photo")
            assert refused.status_code == 404
            assert refused.headers["content-type"].startswith("text/html")
            assert stranger.get(f"/admin/disputes/{reference}/photo").status_code == 403
        with httpx.Client(base_url=two.url) as anonymous:
            assert not anonymous.get(f"/disputes/{reference}/photo").is_success


def test_a_citizen_who_is_not_the_holder_is_refused_everywhere(shared_server: LiveServer) -> None:
    code = "0300000001"
    month = _household(shared_server, code)
    with _signed_in(shared_server, STRANGER_FIN) as stranger:
        statement = _page(stranger.get(f"/statements/{code}"))
        assert statement.select("a.dispute-link") == []
        form = stranger.get("/disputes/new", params={"code": code, "period": month})
        assert form.status_code == 403
        assert "yalnız abonent və ya onun səlahiyyət verdiyi" in _page(form).get_text()
        posted = stranger.post(
            "/disputes", data={**_filing(code, month), "csrf_token": _csrf(stranger)}
        )
        assert posted.status_code == 403
        api = stranger.post(
            "/api/v1/disputes",
            data=_filing(code, month),
            headers={"X-CSRF-Token": _csrf(stranger), "Accept-Language": "en"},
        )
        assert api.status_code == 403
        assert api.json()["error"]["code"] == "forbidden"
        assert "holder" in api.json()["error"]["message"]
        assert stranger.get("/admin/disputes").status_code == 403
        assert stranger.get("/api/v1/admin/disputes").status_code == 403


def test_uploads_are_checked_from_their_content_and_refused_with_the_reason(
    shared_server: LiveServer,
) -> None:
    code = "0300000002"
    month = _household(shared_server, code)
    with _signed_in(shared_server, HOLDER_FIN, language="ru") as client:
        token = {"X-CSRF-Token": _csrf(client)}

        def upload(name: str, content: bytes, media_type: str) -> httpx.Response:
            return client.post(
                "/api/v1/disputes",
                data=_filing(code, month),
                files={"photo": (name, content, media_type)},
                headers=token,
            )

        wrong = upload("meter.jpg", gif(), "image/jpeg")
        assert wrong.status_code == 415
        assert wrong.json()["error"] == {
            "code": "photo_wrong_type",
            "message": "Можно загрузить только фотографию в формате JPEG или PNG.",
        }
        broken = upload("meter.png", jpeg_with_exif()[:3000], "image/png")
        assert broken.status_code == 422
        assert broken.json()["error"]["code"] == "photo_undecodable"
        huge = upload("meter.jpg", b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024), "image/jpeg")
        assert huge.status_code == 413
        assert huge.json()["error"]["code"] == "photo_too_large"
        # Far beyond any photo, the service-wide limit stops the body before the route sees it.
        flood = upload("meter.jpg", b"\0" * (12 * 1024 * 1024), "image/jpeg")
        assert flood.status_code == 413
        assert flood.json()["error"]["code"] == "request_too_large"

        # The page shows the form again with the message, the text kept.
        csrf = {"csrf_token": token["X-CSRF-Token"]}
        page = client.post(
            "/disputes",
            data={**_filing(code, month, text="Мой текст"), **csrf},
            files={"photo": ("meter.jpg", gif(), "image/jpeg")},
        )
        assert page.status_code == 415
        soup = _page(page)
        assert soup.select_one("p.problem").get_text() == (
            "Можно загрузить только фотографию в формате JPEG или PNG."
        )
        assert soup.select_one("textarea#text").get_text() == "Мой текст"

        # A phone photo of a few megabytes goes through.
        phone_photo = _noisy_jpeg()
        assert 1_000_000 < len(phone_photo) < 5 * 1024 * 1024
        phone = client.post(
            "/api/v1/disputes",
            data=_filing(code, month, service="wastewater"),
            files={"photo": ("IMG_2041.jpg", phone_photo, "image/jpeg")},
            headers=token,
        )
        assert phone.status_code == 201, phone.text
        accepted = upload("IMG_0001.JPG", jpeg_with_exif(), "application/octet-stream")
        assert accepted.status_code == 201, accepted.text
        reference = accepted.json()["reference"]
        assert accepted.json()["has_photo"] is True
        photo = client.get(f"/disputes/{reference}/photo")
        assert photo.status_code == 200
        assert b"Phone X Pro" not in photo.content
        assert not Image.open(io.BytesIO(photo.content)).getexif()


def test_one_open_request_per_month_and_service_and_a_daily_limit(
    shared_server: LiveServer,
) -> None:
    code = "0300000003"
    month = _household(shared_server, code, holder_fin="8PQR4ST")
    with _signed_in(shared_server, "8PQR4ST", language="en") as client:
        token = {"X-CSRF-Token": _csrf(client)}
        first = client.post("/api/v1/disputes", data=_filing(code, month), headers=token)
        assert first.status_code == 201
        again = client.post("/api/v1/disputes", data=_filing(code, month), headers=token)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "dispute_already_open"
        assert first.json()["reference"] in again.json()["error"]["message"]
        other = client.post(
            "/api/v1/disputes", data=_filing(code, month, service="wastewater"), headers=token
        )
        assert other.status_code == 201
        earlier = str(YearMonth.parse(month).shift(-1))
        third = client.post("/api/v1/disputes", data=_filing(code, earlier), headers=token)
        assert third.status_code == 201
        fourth = client.post(
            "/api/v1/disputes",
            data=_filing(code, str(YearMonth.parse(month).shift(-2))),
            headers=token,
        )
        assert fourth.status_code == 429
        assert fourth.json()["error"]["code"] == "rate_limited"
        assert "at most 3 requests a day" in fourth.json()["error"]["message"]
        listed = client.get("/api/v1/disputes").json()["disputes"]
        assert len(listed) == 3


def test_state_changing_requests_need_the_sessions_csrf_token(shared_server: LiveServer) -> None:
    code = "0300000004"
    month = _household(shared_server, code, holder_fin="9KLM5NP")
    with _signed_in(shared_server, "9KLM5NP") as client:
        page = client.post("/disputes", data={**_filing(code, month), "csrf_token": "forged"})
        assert page.status_code == 403
        api = client.post("/api/v1/disputes", data=_filing(code, month))
        assert api.status_code == 403
    with httpx.Client(base_url=shared_server.url) as anonymous:
        assert anonymous.post("/api/v1/disputes", data=_filing(code, month)).status_code == 401
        assert anonymous.get("/api/v1/disputes").status_code == 401


def test_the_openapi_document_describes_the_dispute_endpoints(shared_server: LiveServer) -> None:
    with httpx.Client(base_url=shared_server.url) as client:
        document = client.get("/openapi.json").json()
    paths = document["paths"]
    create = paths["/api/v1/disputes"]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DisputeOut"
    )
    for status in ("401", "403", "409", "413", "415", "422", "429"):
        assert status in create["responses"]
    assert set(paths) >= {
        "/api/v1/disputes/{reference}",
        "/api/v1/admin/disputes",
        "/api/v1/admin/disputes/{reference}",
        "/api/v1/admin/disputes/{reference}/answer",
        "/api/v1/admin/disputes/{reference}/close",
        "/api/v1/admin/disputes/{reference}/review",
    }
    assert "DisputeDetailOut" in document["components"]["schemas"]


def test_a_body_that_is_not_a_form_is_refused_cleanly(shared_server: LiveServer) -> None:
    code = "0300000005"
    month = _household(shared_server, code, holder_fin="3DFG6HJ")
    with _signed_in(shared_server, "3DFG6HJ", language="en") as client:
        token = {"X-CSRF-Token": _csrf(client)}
        broken = client.post(
            "/api/v1/disputes",
            content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
            headers={**token, "Content-Type": "multipart/form-data; boundary=x"},
        )
        assert broken.status_code == 422
        assert broken.json()["error"]["code"] == "validation_error"
        many = client.post(
            "/api/v1/disputes",
            data=_filing(code, month),
            files=[
                ("photo", ("a.jpg", b"1", "image/jpeg")),
                ("photo", ("b.jpg", b"2", "image/jpeg")),
            ],
            headers=token,
        )
        assert many.status_code == 422


@pytest.mark.parametrize("locale", ["az", "en", "ru"])
def test_every_dispute_page_is_well_formed_in_every_language(
    shared_server: LiveServer, locale: str
) -> None:
    code = f"03000001{['az', 'en', 'ru'].index(locale):02d}"
    month = _household(shared_server, code, holder_fin="4WXY7ZA")
    with (
        _signed_in(shared_server, "4WXY7ZA", language=locale) as citizen,
        _signed_in(shared_server, STAFF_FIN, language=locale) as staff,
    ):
        created = citizen.post(
            "/api/v1/disputes",
            data=_filing(code, month, reason="other", text="Başqa səbəb"),
            headers={"X-CSRF-Token": _csrf(citizen)},
        )
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        pages = [
            (citizen, f"/disputes/new?code={code}&period={month}", 200),
            (citizen, "/disputes", 200),
            (citizen, f"/disputes/{reference}", 200),
            (citizen, "/disputes/AZS-2000-000001", 404),
            (citizen, f"/statements/{code}", 200),
            (staff, "/admin/disputes", 200),
            (staff, f"/admin/disputes?status=received&code={code}&period={month}", 200),
            (staff, "/admin/disputes?status=lost", 422),
            (staff, f"/admin/disputes/{reference}", 200),
            (citizen, "/admin/disputes", 403),
        ]
        for client, path, status in pages:
            response = client.get(path)
            assert response.status_code == status, path
            assert_well_formed(response.text, locale)


def test_a_citizen_the_holder_authorised_files_and_the_holder_sees_it(
    shared_server: LiveServer,
) -> None:
    code = "0300000006"
    holder, helper = "6HJK8LM", "6NPQ8RS"
    month = _household(shared_server, code, holder_fin=holder)
    with shared_server.engine.begin() as db:
        add_grant(db, code=code, holder_fin=holder, grantee_fin=helper, now=clock.now())
    with _signed_in(shared_server, helper) as client:
        statement = _page(client.get(f"/statements/{code}"))
        link = next(
            a["href"] for a in statement.select("a.dispute-link") if f"period={month}" in a["href"]
        )
        form = client.get(link)
        assert form.status_code == 200
        sent = client.post(
            "/disputes",
            data={
                **form_fields(form.text, "/disputes"),
                "period": month,
                "service": "wastewater",
                "reason": "payment_not_shown",
            },
        )
        assert sent.status_code == 303, sent.text
        reference = sent.headers["location"].rsplit("/", 1)[1]
    with _signed_in(shared_server, holder) as client:
        row_texts = [
            tr.get_text(" ")
            for tr in _page(client.get(f"/statements/{code}")).select("table.months tbody tr")
        ]
        assert any(reference in text for text in row_texts)
        assert client.get(f"/disputes/{reference}").status_code == 200
