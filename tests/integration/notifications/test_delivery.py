"""Settings, the outbox and the worker on the real store (SQLite and PostgreSQL) with real SMTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.notifications.conftest import CODE, EMAIL, NOW, WorkerFactory, pay
from tests.support.factories.billing import add_invoice
from tests.support.factories.citizens import HOLDER, STAFF
from tests.support.factories.feeds import invoice_row, payment_row, write_csv
from tests.support.mail import CONFIRM_LINK, Inbox, outbox_rows, part_text
from waterbill.db.database import Database
from waterbill.disputes.service import FilingRules, answer_dispute, file_dispute
from waterbill.ingest.imports import import_file
from waterbill.ingest.intake import record_payment
from waterbill.notifications.domain import read_unsubscribe_token
from waterbill.notifications.service import (
    TooManyConfirmations,
    get_notification_settings,
    unsubscribe,
    update_notification_settings,
)
from waterbill.notifications.tables import notification_outbox


def test_a_new_address_gets_one_confirmation_mail_and_nothing_else_until_confirmed(
    account: int, database: Database, make_worker: WorkerFactory, inbox: Inbox, engine: Engine
) -> None:
    saved = update_notification_settings(
        database=database, citizen=HOLDER, email=EMAIL, events=["payment_posted"], now=NOW
    )
    assert (saved.email, saved.email_confirmed, saved.events) == (EMAIL, False, ("payment_posted",))
    pay(database, "P-before")  # not confirmed yet: no event for it
    assert make_worker().run_once(NOW) == 1

    [mail] = inbox.messages
    assert mail["To"] == EMAIL
    assert mail["Subject"] == "Azərsu bildirişləri üçün ünvanınızı təsdiq edin"
    assert mail["List-Unsubscribe"].startswith("<https://e-xidmet.azersu.az/notifications/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Mail programs read the link as it stands on the wire: a plain <URL>, never an encoded word.
    assert b"\r\nList-Unsubscribe: <https://e-xidmet.azersu.az/notifications/" in inbox.raw[0]
    assert "Ünvanı təsdiq edin" in part_text(mail, "html")
    link = CONFIRM_LINK.search(part_text(mail, "plain"))
    assert link is not None

    from waterbill.notifications.service import confirm_address

    confirm_address(database=database, key=database.settings.secret_bytes, token=link[1], now=NOW)
    assert get_notification_settings(database=database, citizen=HOLDER).email_confirmed
    # Saving the same address again neither unconfirms it nor sends another confirmation.
    update_notification_settings(
        database=database, citizen=HOLDER, email=EMAIL.upper(), events=["payment_posted"], now=NOW
    )
    assert get_notification_settings(database=database, citizen=HOLDER).email_confirmed
    pay(database, "P-after")
    assert make_worker().run_once(NOW) == 1
    assert [m["Subject"] for m in inbox.messages[1:]] == [
        "12,50\xa0₼ məbləğində ödəniş qəbul edildi (abonent 0104410203)"
    ]
    assert [row.status for row in outbox_rows(engine)] == ["sent", "sent"]
    # After WATERBILL_NOTIFY_RETENTION_DAYS the rows and the address they name are gone.
    assert make_worker().run_once(NOW + timedelta(days=89)) == 0
    assert len(outbox_rows(engine)) == 2
    assert make_worker().run_once(NOW + timedelta(days=91)) == 0
    assert outbox_rows(engine) == []


def test_each_event_sends_exactly_one_mail_in_the_citizens_language_without_personal_data(
    subscribed: Callable[..., None],
    account: int,
    database: Database,
    make_worker: WorkerFactory,
    inbox: Inbox,
    engine: Engine,
    tmp_path: Path,
) -> None:
    with engine.begin() as db:
        for month in range(3, 9):
            add_invoice(db, account, f"2026-{month:02d}", consumption="7.000")
    subscribed(language="en")
    # A new bill, far above the usual 7 m³: a bill and a leak warning, each once, although the
    # month's water and wastewater lines come in two files.
    for service, amount in (("water", "21.00"), ("wastewater", "9.00")):
        feed = write_csv(
            tmp_path / f"{service}.csv",
            "invoices",
            [invoice_row(CODE, "2026-09", service, consumption_m3="30.000", amount=amount)],
        )
        import_file(
            database=database, kind="invoices", path=feed, rejects_path=tmp_path / "r.csv", now=NOW
        )
    pay(database, "P-1", amount="30.00")
    pay(database, "P-1", amount="30.00")  # the channel's retry of the same payment
    rules = FilingRules(daily_limit=5)
    dispute = file_dispute(
        database=database,
        citizen=HOLDER,
        code=CODE,
        period="2026-09",
        service="water",
        reason="meter_reading_wrong",
        text="Sayğac 1234 göstərir.",
        photo=None,
        rules=rules,
        now=NOW,
    )
    answer_dispute(
        database=database,
        staff=STAFF,
        reference=dispute.reference,
        answer="Qorxmaz bəy, hesab yenidən hesablanacaq.",
        now=NOW,
    )

    assert make_worker().run_once(NOW) == 4
    assert make_worker().run_once(NOW) == 0
    subjects = sorted(mail["Subject"] for mail in inbox.messages)
    assert subjects == sorted(
        [
            "Water bill for September 2026: AZN30.00 (subscriber 0104410203)",
            "Possible water leak in September 2026 (subscriber 0104410203)",
            "Payment of AZN30.00 received (subscriber 0104410203)",
            f"Your request {dispute.reference} has been answered",
        ]
    )
    for mail in inbox.messages:
        assert mail["Content-Language"] == "en"
        text, html = part_text(mail, "plain"), part_text(mail, "html")
        for personal in ("Qorxmaz", "Hüseynov", "Füzuli", "hesablanacaq", HOLDER.fin):
            assert personal not in text
            assert personal not in html
    assert len({mail["Message-ID"] for mail in inbox.messages}) == 4
    assert all(row.status == "sent" for row in outbox_rows(engine))


def test_a_rolled_back_payment_leaves_no_event(
    subscribed: Callable[..., None], database: Database, engine: Engine
) -> None:
    subscribed()
    with engine.connect() as db, db.begin() as transaction:
        record_payment(
            db=db,
            channel="kapitalbank",
            payment_id="P-rolled-back",
            subscriber_code=CODE,
            paid_at=NOW,
            amount=Decimal("5.00"),
            reverses=None,
            now=NOW,
        )
        assert db.scalar(select(func.count()).select_from(notification_outbox)) == 2
        transaction.rollback()
    assert [row.event for row in outbox_rows(engine)] == ["confirm"]


def test_a_failing_smtp_server_is_retried_with_backoff_until_it_recovers_or_dead_letters(
    subscribed: Callable[..., None],
    database: Database,
    make_worker: WorkerFactory,
    inbox: Inbox,
    engine: Engine,
) -> None:
    subscribed(events=("payment_posted",))
    pay(database, "P-1")
    inbox.refuse = 2
    worker = make_worker()
    assert worker.run_once(NOW) == 1
    [row] = [r for r in outbox_rows(engine) if r.event == "payment_posted"]
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, "DATA 451")
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert worker.run_once(NOW + timedelta(seconds=29)) == 0  # not due yet
    assert worker.run_once(NOW + timedelta(seconds=30)) == 1  # refused again: the wait doubles
    row = outbox_rows(engine)[-1]
    assert row.next_attempt_at == NOW + timedelta(seconds=90)
    assert worker.run_once(NOW + timedelta(seconds=90)) == 1
    assert (outbox_rows(engine)[-1].status, len(inbox.messages)) == ("sent", 1)

    pay(database, "P-2")
    inbox.refuse = 10
    for seconds in (0, 30, 90):
        worker.run_once(NOW + timedelta(seconds=seconds))
    row = outbox_rows(engine)[-1]
    assert (row.status, row.attempts) == ("failed", 3)  # WATERBILL_NOTIFY_MAX_ATTEMPTS
    assert worker.run_once(NOW + timedelta(days=1)) == 0
    assert len(inbox.messages) == 1


def test_the_unsubscribe_link_of_a_mail_stops_that_mail_without_signing_in(
    subscribed: Callable[..., None],
    database: Database,
    make_worker: WorkerFactory,
    inbox: Inbox,
    engine: Engine,
) -> None:
    subscribed(events=("payment_posted", "bill_issued"))
    pay(database, "P-1")
    make_worker().run_once(NOW)
    link = inbox.messages[0]["List-Unsubscribe"].strip("<>")
    token = link.rsplit("/", 1)[1]
    key = database.settings.secret_bytes
    assert read_unsubscribe_token(key, token[:-2] + "xx") is None  # a forged link does nothing
    what = unsubscribe(database=database, key=key, token=token, now=NOW)
    assert (what.code, what.event) == (CODE, "payment_posted")
    assert get_notification_settings(database=database, citizen=HOLDER).accounts[0].events == (
        "bill_issued",
    )
    pay(database, "P-2")
    assert [row.event for row in outbox_rows(engine)] == ["confirm", "payment_posted"]


def test_a_payment_from_a_bank_feed_is_told_once_like_one_from_the_intake(
    subscribed: Callable[..., None], database: Database, engine: Engine, tmp_path: Path
) -> None:
    subscribed(events=("payment_posted",))
    pay(database, "P-1")
    paid_at = (NOW - timedelta(hours=1)).isoformat()
    feed = write_csv(
        tmp_path / "payments.csv",
        "payments",
        [
            payment_row("P-1", CODE, paid_at, "12.50"),  # the intake's payment again
            payment_row("P-2", CODE, paid_at, "7.00"),
            payment_row("P-3", "0104419999", paid_at, "7.00"),  # nobody's subscription
        ],
    )
    summary = import_file(
        database=database, kind="payments", path=feed, rejects_path=tmp_path / "r.csv", now=NOW
    )
    assert (summary.loaded, summary.unchanged, summary.rejected) == (1, 1, 1)
    assert [(row.event, row.ref) for row in outbox_rows(engine)[1:]] == [
        ("payment_posted", "kapitalbank/P-1"),
        ("payment_posted", "kapitalbank/P-2"),
    ]


def test_changing_the_address_again_and_again_mails_at_most_five_confirmations_a_day(
    account: int, database: Database, engine: Engine
) -> None:
    for number in range(5):
        update_notification_settings(
            database=database, citizen=HOLDER, email=f"n{number}@example.az", events=[], now=NOW
        )
    with pytest.raises(TooManyConfirmations):
        update_notification_settings(
            database=database, citizen=HOLDER, email="n5@example.az", events=[], now=NOW
        )
    update_notification_settings(
        database=database,
        citizen=HOLDER,
        email="n5@example.az",
        events=[],
        now=NOW + timedelta(days=1, seconds=1),
    )
    assert len(outbox_rows(engine)) == 6
