"""Notification settings through the API and the page, and the mail's links, on the running app."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
from pydantic import SecretStr

from tests.functional.signin import form_fields
from tests.functional.test_access_web import bearer, client, signed_in
from tests.functional.test_pages import assert_well_formed
from tests.support.factories.billing import add_subscriber
from tests.support.live_server import LiveServer
from tests.support.mail import CONFIRM_LINK, part_text, smtp_server
from waterbill import clock
from waterbill.db.database import Database
from waterbill.ingest.intake import record_payment
from waterbill.notifications.worker import Worker, senders_from

HOLDER = "5ZK3LRT"
CODE, OTHER_CODE = "0104419901", "0104419902"


def test_the_api_keeps_the_address_and_events_and_refuses_bad_input_in_the_users_language(
    sqlite_live_server: LiveServer,
) -> None:
    server = sqlite_live_server
    with server.engine.begin() as db:
        add_subscriber(db, code=CODE, holder_fin=HOLDER)
        add_subscriber(db, code=OTHER_CODE, holder_fin="7ABCD12")
    auth = bearer(server, HOLDER)
    with client(server) as api:
        body = {"email": "Qorxmaz@Example.AZ", "events": ["bill_issued", "leak_warning"]}
        saved = api.put("/api/v1/me/notifications", json=body, headers=auth)
        assert saved.status_code == 200, saved.text
        expected = {
            "email": "Qorxmaz@example.az",
            "email_confirmed": False,
            "events": ["bill_issued", "leak_warning"],
            "accounts": [{"subscriber_code": CODE, "events": ["bill_issued", "leak_warning"]}],
            "phone": None,
            "phone_confirmed": False,
        }
        assert saved.json() == expected
        assert api.get("/api/v1/me/notifications", headers=auth).json() == expected

        refusals = [
            ({"email": "not an address", "events": []}, "ru", 422, "malformed_email"),
            ({"email": "q@example.az", "events": ["sms_spam"]}, "en", 422, "unknown_event"),
            (
                {"events": [], "accounts": [{"subscriber_code": OTHER_CODE, "events": []}]},
                "az",
                403,
                "forbidden",
            ),
            ({"email": "q@example.az", "colour": "blue"}, "az", 422, "validation_error"),
        ]
        for wrong, language, status, code in refusals:
            answer = api.put(
                "/api/v1/me/notifications",
                json=wrong,
                headers={**auth, "Accept-Language": language},
            )
            assert answer.status_code == status, answer.text
            assert answer.json()["error"]["code"] == code
        assert (
            "Адрес электронной почты указан неверно"
            in api.put(
                "/api/v1/me/notifications",
                json={"email": "@", "events": []},
                headers={**auth, "Accept-Language": "ru"},
            ).json()["error"]["message"]
        )
        assert api.get("/api/v1/me/notifications").status_code == 401
        assert api.get("/api/v1/me/notifications", headers=auth).json() == expected


def test_the_page_saves_the_choice_and_the_mails_links_confirm_and_unsubscribe_without_sign_in(
    sqlite_live_server: LiveServer,
) -> None:
    server = sqlite_live_server
    code = "0104419903"
    with server.engine.begin() as db:
        add_subscriber(db, code=code, holder_fin="94FMDDD")
    with signed_in(server, "94FMDDD") as browser:
        page = browser.get("/me/notifications?lang=en")
        assert page.status_code == 200
        assert_well_formed(page.text, "en")
        fields = form_fields(page.text, "/me/notifications")
        saved = browser.post(
            "/me/notifications",
            data={**fields, "email": "leyla@example.az", f"{code}:payment_posted": "1"},
        )
        assert saved.status_code == 303, saved.text
        shown = browser.get(saved.headers["location"])
        assert "leyla@example.az" in shown.text

    database = Database(server.settings)
    with smtp_server() as (inbox, url):
        settings = server.settings.model_copy(update={"smtp_url": SecretStr(url)})
        worker = Worker(database=database, settings=settings, senders=senders_from(settings))
        # The module's server also holds the first test's citizen, whose confirmation goes too.
        assert worker.run_once() >= 1
        [mail] = [m for m in inbox.messages if m["To"] == "leyla@example.az"]
        link = CONFIRM_LINK.search(part_text(mail, "plain"))
        assert link is not None
        with client(server) as anyone:
            confirmed = anyone.get(f"/notifications/confirm/{link[1]}")
            assert confirmed.status_code == 200
            assert_well_formed(confirmed.text)
            assert anyone.get(f"/notifications/confirm/{link[1][:-3]}abc").status_code == 404

            with database.write() as db:
                record_payment(
                    db=db,
                    channel="kapitalbank",
                    payment_id="P-functional",
                    subscriber_code=code,
                    paid_at=clock.now() - timedelta(minutes=5),
                    amount=Decimal("8.40"),
                    reverses=None,
                )
            assert worker.run_once() == 1
            unsubscribe = inbox.messages[-1]["List-Unsubscribe"].strip("<>")
            path = httpx.URL(unsubscribe).path
            asked = anyone.get(path)
            assert asked.status_code == 200
            assert_well_formed(asked.text)
            # What a mail program sends for a one-click List-Unsubscribe (RFC 8058).
            done = anyone.post(path, data={"List-Unsubscribe": "One-Click"})
            assert done.status_code == 200, done.text
            metrics = anyone.get("/metrics").text
    database.dispose()
    sent = [
        line
        for line in metrics.splitlines()
        if line.startswith("waterbill_notifications_sent_last_hour ")
    ]
    assert sent == [f"waterbill_notifications_sent_last_hour {float(len(inbox.messages))}"]
    with client(server) as api:
        now = api.get("/api/v1/me/notifications", headers=bearer(server, "94FMDDD")).json()
    assert (now["email_confirmed"], now["accounts"][0]["events"]) == (True, [])
