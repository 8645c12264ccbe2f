"""SMS, the second channel behind the same outbox, against a local HTTP gateway."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from tests.integration.notifications.conftest import CODE, NOW, WorkerFactory
from tests.support.factories.citizens import HOLDER
from tests.support.mail import outbox_rows
from waterbill.db.database import Database
from waterbill.ingest.intake import record_payment
from waterbill.notifications.channels import HttpSmsSender, NotDelivered, Outgoing
from waterbill.notifications.service import confirm_address, update_notification_settings


class Gateway(ThreadingHTTPServer):
    """Answers the next status in ``answers`` (then 200) and keeps what it was sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.answers: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/messages"


class _Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.server.answers.pop(0) if self.server.answers else 200
        if status == 200:
            self.server.received.append((body, dict(self.headers)))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _message(key: str = "k1") -> Outgoing:
    return Outgoing(
        to="+994501234567", subject="s", text="Azərsu: salam", html="", key=key, language="az"
    )


def test_the_gateway_adapter_retries_what_the_gateway_may_take_later_and_not_what_it_refuses(
    gateway: Gateway,
) -> None:
    sender = HttpSmsSender(gateway.url, token="gateway-token", timeout=5)
    gateway.answers = [503, 400]
    with pytest.raises(NotDelivered) as retried:
        sender.send(_message(), lambda: True)
    assert (retried.value.reason, retried.value.permanent) == ("HTTP 503", False)
    with pytest.raises(NotDelivered) as refused:
        sender.send(_message(), lambda: True)
    assert refused.value.permanent
    sender.send(_message("k2"), lambda: True)
    [(body, headers)] = gateway.received
    assert body == {"to": "+994501234567", "text": "Azərsu: salam", "reference": "k2"}
    assert (headers["Idempotency-Key"], headers["Authorization"]) == ("k2", "Bearer gateway-token")
    sender.close()


def test_a_confirmed_phone_gets_each_event_by_sms_through_the_same_outbox(
    account: int,
    database: Database,
    make_worker: WorkerFactory,
    gateway: Gateway,
    engine: Engine,
) -> None:
    update_notification_settings(
        database=database,
        citizen=HOLDER,
        email=None,
        phone="+994 50 123-45-67",
        events=["payment_posted"],
        sms_enabled=True,
        now=NOW,
    )
    worker = make_worker(
        sms_gateway_url=gateway.url, sms_gateway_token=SecretStr("t"), smtp_url=SecretStr("")
    )
    assert worker.run_once(NOW) == 1
    [(confirmation, _)] = gateway.received
    assert confirmation["to"] == "+994501234567"
    token = re.search(r"/notifications/confirm/(\S+)", confirmation["text"])
    assert token is not None
    assert (
        confirm_address(database=database, key=database.settings.secret_bytes, token=token[1])
        == "sms"
    )

    with database.write() as db:
        record_payment(
            db=db,
            channel="kapitalbank",
            payment_id="P-sms",
            subscriber_code=CODE,
            paid_at=NOW - timedelta(hours=1),
            amount=Decimal("9.10"),
            reverses=None,
            now=NOW,
        )
    assert worker.run_once(NOW) == 1
    text = gateway.received[-1][0]["text"]
    assert text.startswith("Azərsu: 9,10\xa0₼ məbləğində ödəniş qəbul edildi (abonent 0104410203)")
    assert [(row.channel, row.status) for row in outbox_rows(engine)] == [
        ("sms", "sent"),
        ("sms", "sent"),
    ]
