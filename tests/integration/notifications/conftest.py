"""The notification service and worker against the real store and a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from tests.support.factories.billing import add_subscriber
from tests.support.factories.citizens import HOLDER
from tests.support.mail import CONFIRM_LINK, Inbox, part_text, smtp_server
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.ingest.intake import record_payment
from waterbill.notifications.service import confirm_address, update_notification_settings
from waterbill.notifications.worker import Worker, senders_from

CODE = "0104410203"
EMAIL = "qorxmaz@example.az"
# 14:00 in Baku on 26 November 2026.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def inbox(smtp: tuple[Inbox, str]) -> Inbox:
    return smtp[0]


@pytest.fixture
def mail_settings(settings: Settings, smtp: tuple[Inbox, str]) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(smtp[1]),
            "notify_backoff_seconds": 30.0,
            "notify_max_attempts": 3,
            "public_url": "https://e-xidmet.azersu.az",
        }
    )


@pytest.fixture
def database(engine: Engine, mail_settings: Settings) -> Iterator[Database]:
    handle = Database(mail_settings)
    yield handle
    handle.dispose()


WorkerFactory = Callable[..., Worker]


@pytest.fixture
def make_worker(database: Database, mail_settings: Settings) -> Iterator[WorkerFactory]:
    def make(name: str = "test-worker", **overrides: Any) -> Worker:
        settings = mail_settings.model_copy(update=overrides)
        return Worker(
            database=database, settings=settings, senders=senders_from(settings), name=name
        )

    return make


@pytest.fixture
def account(engine: Engine) -> int:
    with engine.begin() as db:
        return add_subscriber(db, code=CODE, holder_fin=HOLDER.fin)


@pytest.fixture
def subscribed(
    account: int, database: Database, make_worker: WorkerFactory, inbox: Inbox
) -> Callable[..., None]:
    """The holder with a confirmed address, wanting the given events (all by default)."""

    def subscribe(events: tuple[str, ...] | None = None, language: str = "az") -> None:
        update_notification_settings(
            database=database,
            citizen=HOLDER,
            email=EMAIL,
            events=list(
                events or ("bill_issued", "payment_posted", "dispute_answered", "leak_warning")
            ),
            language=language,
            now=NOW,
        )
        assert make_worker().run_once(NOW) == 1
        link = CONFIRM_LINK.search(part_text(inbox.messages[-1], "plain"))
        assert link is not None
        confirm_address(
            database=database, key=database.settings.secret_bytes, token=link[1], now=NOW
        )
        inbox.messages.clear()

    return subscribe


def pay(database: Database, *payment_ids: str, amount: str = "12.50") -> None:
    """Payments of the account through the real-time intake, in one transaction."""
    with database.write() as db:
        for payment_id in payment_ids:
            record_payment(
                db=db,
                channel="kapitalbank",
                payment_id=payment_id,
                subscriber_code=CODE,
                paid_at=NOW - timedelta(hours=1),
                amount=Decimal(amount),
                reverses=None,
                now=NOW,
            )
