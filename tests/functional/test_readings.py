"""Meter readings end to end: a holder submits with a photo, the billing system collects it once,
and the next imported bill shows on the statement as billed on the meter; each refusal code.

The real app under uvicorn, real HTTP, the bundled identity provider and the real database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import Engine, select

from tests.functional.signin import sign_in
from tests.functional.test_pages import assert_well_formed
from tests.support.factories.billing import add_subscriber
from tests.support.factories.photos import jpeg_with_exif
from tests.support.factories.readings import metered_household
from tests.support.live_server import LiveServer, serve
from waterbill import clock
from waterbill.audit.tables import audit_events
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.calendar import YearMonth
from waterbill.cli import main
from waterbill.config import get_settings
from waterbill.ingest.channels import add_channel
from waterbill.ingest.imports import import_file

HOLDER_FIN = "5ZK3LRT"
STAFF_FIN = "2QWE3RT"
STRANGER_FIN = "7ABCD12"
REFERENCE = re.compile(r"SAY-\d{4}-\d{7}")


@pytest.fixture
def server(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    """Readings accepted all month (the window's own rule is a unit test), three a day."""
    with serve(
        database_url,
        engine,
        admin_fins=[STAFF_FIN],
        reading_window_start_day=1,
        reading_window_end_day=31,
        reading_daily_limit=3,
    ) as live:
        yield live


def _bearer(server: LiveServer, fin: str) -> dict[str, str]:
    with server.engine.connect() as db:
        claims = citizen_claims(db=db, fin=fin, method="asan_imza")
    return {"Authorization": f"Bearer {access_token(server.settings, claims=claims)}"}


def _api(server: LiveServer, fin: str, language: str = "az") -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        timeout=20,
        headers={**_bearer(server, fin), "Accept-Language": language},
    )


@contextmanager
def _signed_in(server: LiveServer, fin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=20) as client:
        back = sign_in(client, fin)
        assert client.get(back.headers["location"]).status_code == 303
        yield client


def _today() -> str:
    return clock.today().isoformat()


def _refusals(server: LiveServer) -> list[tuple[str | None, str | None]]:
    with server.engine.connect() as db:
        rows = db.execute(
            select(audit_events.c.subscriber_code, audit_events.c.reason)
            .where(audit_events.c.tag == "reading:refused")
            .order_by(audit_events.c.id)
        ).all()
    return [(row.subscriber_code, row.reason) for row in rows]


def _import_bill(server: LiveServer, tmp_path: Path, code: str, period: str, **line: str) -> None:
    values = {
        "invoice_no": f"{period.replace('-', '')}-{code}",
        "subscriber_code": code,
        "period": period,
        "service": "water",
        "previous_reading": "1000.000",
        "current_reading": "",
        "consumption_m3": "12.500",
        "tariff": "0.70",
        "amount": "8.75",
        "basis": "meter",
        "issued_on": clock.today().isoformat(),
        **line,
    }
    feed = tmp_path / f"invoices-{period}.csv"
    feed.write_text(",".join(values) + "\n" + ",".join(values.values()) + "\n", encoding="utf-8")
    summary = import_file(
        database=server.app.state.database,
        kind="invoices",
        path=feed,
        rejects_path=tmp_path / "rejects.csv",
    )
    assert summary.rejected == 0


def test_a_holder_submits_a_reading_with_a_photo_the_billing_system_collects_it_once_and_the_next_bill_shows_it_used(  # noqa: E501
    server: LiveServer, tmp_path: Path
) -> None:
    code = "0104410203"
    with server.engine.begin() as db:
        metered_household(db, code, HOLDER_FIN)
        key = add_channel(db=db, name="billing")
    channel = {"X-Api-Key": key}

    # 1.5 m³ since the last bill: plausible on any day of the month, the first one included.
    with _api(server, HOLDER_FIN) as citizen:
        sent = citizen.post(
            "/api/v1/readings",
            data={"subscriber_code": code, "reading": "1001,5", "read_on": _today()},
            files={"photo": ("meter.jpg", jpeg_with_exif(), "image/jpeg")},
        )
        assert sent.status_code == 201, sent.text
        reading = sent.json()["reading"]
        assert REFERENCE.fullmatch(reading["reference"])
        this_month = str(YearMonth.of(clock.today()))
        assert {key: reading[key] for key in ("subscriber_code", "reading", "read_on")} == {
            "subscriber_code": code,
            "reading": "1001.500",
            "read_on": _today(),
        }
        assert (reading["status"], reading["for_period"], reading["has_photo"]) == (
            "received",
            this_month,
            True,
        )
        # The contract's JSON body, without a photo.
        second = citizen.post(
            "/api/v1/readings",
            json={"subscriber_code": code, "reading": "1001.750", "read_on": _today()},
        )
        assert second.status_code == 201, second.text

    # The billing system collects both, once; resuming from the cursor gives nothing new.
    with httpx.Client(base_url=server.url, timeout=20) as billing:
        assert billing.get("/api/v1/readings").status_code == 401
        first = billing.get("/api/v1/readings", params={"since": "0"}, headers=channel).json()
        assert [item["reference"] for item in first["readings"]] == [
            reading["reference"],
            second.json()["reading"]["reference"],
        ]
        photo_url = first["readings"][0]["photo_url"]
        assert photo_url == f"{server.url}/admin/readings/{reading['reference']}/photo"
        assert first["readings"][1]["photo_url"] is None
        assert first["readings"][0]["last_billed_reading"] == "1000.000"
        again = billing.get(
            "/api/v1/readings", params={"since": first["next_cursor"]}, headers=channel
        ).json()
        assert again == {"readings": [], "next_cursor": first["next_cursor"], "more": False}
        paged = billing.get("/api/v1/readings", params={"limit": 1}, headers=channel).json()
        assert (len(paged["readings"]), paged["more"]) == (1, True)

    # The command line gives the same readings, as JSON or CSV, and resumes from a cursor.
    runner = CliRunner(
        env={
            "WATERBILL_DATABASE_URL": server.settings.database_url,
            "WATERBILL_PUBLIC_URL": server.url,
        }
    )
    get_settings.cache_clear()
    exported = runner.invoke(main, ["export", "readings", str(tmp_path / "r.json")])
    assert exported.exit_code == 0, exported.output
    assert json.loads((tmp_path / "r.json").read_text())["readings"] == first["readings"]
    as_csv = runner.invoke(main, ["export", "readings", "--since", "1", str(tmp_path / "r.csv")])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert [row["reference"] for row in rows] == [second.json()["reading"]["reference"]]
    assert (rows[0]["in_window"], rows[0]["photo_url"]) == ("true", "")
    assert f"next cursor: {first['next_cursor']}" in as_csv.output
    get_settings.cache_clear()

    # Staff open the photo: re-encoded without EXIF, sandboxed, never cached.
    with _signed_in(server, STAFF_FIN) as staff:
        photo = staff.get(photo_url)
        assert photo.status_code == 200
        assert photo.headers["cache-control"] == "private, no-store"
        assert "sandbox" in photo.headers["content-security-policy"]
        assert not Image.open(io.BytesIO(photo.content)).getexif()

    # The bill of the month arrives through the import, billed on the meter: the newest reading
    # shows as used, the first as replaced by it; on the statement beside the month.
    _import_bill(
        server,
        tmp_path,
        code,
        this_month,
        current_reading="1001.750",
        consumption_m3="1.750",
        amount="1.23",
    )
    with _api(server, HOLDER_FIN, language="en") as citizen:
        followed = citizen.get(f"/api/v1/readings/{reading['reference']}").json()["reading"]
        assert followed["status"] == "superseded"
        used = citizen.get(f"/api/v1/readings/{second.json()['reading']['reference']}")
        assert used.json()["reading"]["status"] == "used"
    with _signed_in(server, HOLDER_FIN) as holder:
        page = assert_well_formed(holder.get(f"/statements/{code}").text)
        row = next(
            tr
            for tr in page.select("table.months tbody tr")
            if second.json()["reading"]["reference"] in tr.get_text()
        )
        assert "sayğacınız üzrə" in row.select_one("p.reading").get_text()

    with server.engine.connect() as db:
        submitted = db.execute(
            select(audit_events.c.subscriber_code, audit_events.c.channel).where(
                audit_events.c.tag == "reading:submitted"
            )
        ).all()
        exports = db.execute(
            select(audit_events.c.channel).where(audit_events.c.tag == "reading:exported")
        ).all()
    assert [tuple(row) for row in submitted] == [(code, "api"), (code, "api")]
    assert len(exports) == 5


def test_each_refusal_has_its_code_and_message_and_goes_to_the_access_log(
    server: LiveServer,
) -> None:
    code, smart, flat = "0104410203", "0104410204", "0104410205"
    with server.engine.begin() as db:
        metered_household(db, code, HOLDER_FIN)
        add_subscriber(db, code=smart, holder_fin=HOLDER_FIN, meter_type="smart_card")
        add_subscriber(db, code=flat, holder_fin=HOLDER_FIN, meter_type="none", meter_serial=None)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()

    def body(**changes: str) -> dict[str, str]:
        return {"subscriber_code": code, "reading": "1001.000", "read_on": _today(), **changes}

    with _api(server, HOLDER_FIN) as holder, _api(server, STRANGER_FIN, "ru") as stranger:

        def refused(client: httpx.Client, status: int, error: str, **changes: str) -> str:
            answer = client.post("/api/v1/readings", json=body(**changes))
            assert answer.status_code == status, answer.text
            assert answer.json()["error"]["code"] == error
            message: str = answer.json()["error"]["message"]
            return message

        assert "smart-kart" in refused(holder, 409, "no_meter", subscriber_code=smart)
        assert "norma" in refused(holder, 409, "no_meter", subscriber_code=flat)
        assert "1.000,000 m³" in refused(holder, 422, "reading_decreased", reading="999.999")
        assert "10" in refused(holder, 422, "reading_implausible", reading="1500")
        assert refused(holder, 422, "outside_window", read_on=tomorrow)
        assert refused(holder, 422, "outside_window", read_on="2020-01-01")
        assert refused(holder, 422, "malformed_reading", reading="12a")
        assert refused(holder, 422, "malformed_reading", reading="1001.0001")
        assert refused(holder, 422, "malformed_date", read_on="18.12.2026")
        assert "владелец" in refused(stranger, 403, "forbidden")

        # A reading far above the usual use goes through once the citizen confirms it.
        confirmed = holder.post(
            "/api/v1/readings", json={**body(reading="1500"), "confirm_implausible": True}
        )
        assert confirmed.status_code == 201
        assert confirmed.json()["reading"]["implausible"] is True
        for figure in ("1001.000", "1002.000"):
            assert holder.post("/api/v1/readings", json=body(reading=figure)).status_code == 201
        assert "3" in refused(holder, 429, "rate_limited", reading="1003.000")

    assert _refusals(server) == [
        (smart, "no_meter"),
        (flat, "no_meter"),
        (code, "reading_decreased"),
        (code, "reading_implausible"),
        (code, "outside_window"),
        (code, "outside_window"),
        (code, "malformed_reading"),
        (code, "malformed_reading"),
        (code, "malformed_date"),
        (code, "forbidden"),
        (code, "rate_limited"),
    ]

    # The ICT staff see the day's readings, the implausible one first.
    with _signed_in(server, STAFF_FIN) as staff:
        page = assert_well_formed(staff.get("/admin/readings").text)
        rows = page.select("table.readings tbody tr")
        assert [row.get("class") for row in rows] == [["implausible"], None, None]
    with _signed_in(server, HOLDER_FIN) as citizen:
        assert citizen.get("/admin/readings").status_code == 403
        # A smart-card meter has nothing to submit: the form page and the statement say why.
        why = assert_well_formed(citizen.get("/readings/new", params={"code": smart}).text)
        assert why.find("form", action="/readings") is None
        assert "smart-kart" in why.select_one("p.notice").get_text()
        statement = assert_well_formed(citizen.get(f"/statements/{smart}").text)
        assert "smart-kart" in statement.select_one("section.readings").get_text()
        assert statement.select("a.reading-link") == []
