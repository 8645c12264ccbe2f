"""At most once, however workers die or race: a kill -9 mid-send, and two workers at once.

On PostgreSQL, the production engine, where several workers share one outbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tests.integration.notifications.conftest import NOW, WorkerFactory, pay
from tests.support.mail import Inbox, outbox_rows
from waterbill import clock
from waterbill.db.database import Database
from waterbill.notifications import repository

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


def test_a_worker_killed_between_send_and_mark_never_sends_that_mail_again(
    subscribed: Callable[..., None],
    database: Database,
    database_url: str,
    make_worker: WorkerFactory,
    smtp: tuple[Inbox, str],
    engine: Engine,
) -> None:
    inbox, smtp_url = smtp
    subscribed(events=("payment_posted",))
    pay(database, "P-1", "P-2")
    settings = database.settings
    env = {
        **os.environ,
        "WATERBILL_ENV": "test",
        "WATERBILL_DATABASE_URL": database_url,
        "WATERBILL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "WATERBILL_SMTP_URL": smtp_url,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "waterbill.cli", "worker", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def kill_once() -> None:
        # The server holds the first mail; the worker dies before it hears "250" and marks it.
        inbox.on_data = None
        os.kill(worker.pid, signal.SIGKILL)

    inbox.on_data = kill_once
    assert worker.wait(timeout=30) == -signal.SIGKILL
    assert [row.status for row in outbox_rows(engine)][1:] == ["sending", "claimed"]

    # Restarted after the lease: the mail handed over is uncertain, the other one goes out.
    restarted = make_worker(name="restarted")
    later = clock.now() + timedelta(seconds=settings.notify_lease_seconds + 1)
    assert restarted.run_once(later) == 1
    assert restarted.run_once(later) == 0
    assert [row.status for row in outbox_rows(engine)][1:] == ["uncertain", "sent"]
    message_ids = [mail["Message-ID"] for mail in inbox.messages]
    assert len(message_ids) == len(set(message_ids)) == 2


def test_a_claimed_row_is_skipped_by_another_worker_not_waited_for(
    subscribed: Callable[..., None], database: Database, engine: Engine
) -> None:
    subscribed(events=("payment_posted",))
    pay(database, *(f"P-{n}" for n in range(4)))
    with engine.connect() as first, first.begin():
        held = repository.claim(first, worker="first", now=NOW, limit=2)
        with engine.connect() as second, second.begin():
            # Waiting for the first worker's lock would fail here instead of hanging the test.
            second.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
            taken = repository.claim(second, worker="second", now=NOW, limit=10)
    assert len(held) == len(taken) == 2
    assert not set(held) & set(taken)


def test_two_workers_racing_over_one_outbox_send_each_mail_exactly_once(
    subscribed: Callable[..., None],
    database: Database,
    make_worker: WorkerFactory,
    inbox: Inbox,
    engine: Engine,
) -> None:
    subscribed(events=("payment_posted",))
    pay(database, *(f"P-{n}" for n in range(12)))
    workers = [make_worker(name=name, notify_batch_size=2) for name in ("one", "two")]
    start = threading.Barrier(len(workers))

    def drain(worker: object) -> None:
        start.wait()
        while worker.run_once(NOW):  # type: ignore[attr-defined]
            pass

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rows = outbox_rows(engine)[1:]
    assert [row.status for row in rows] == ["sent"] * 12
    assert all(row.attempts == 1 for row in rows)
    message_ids = [mail["Message-ID"] for mail in inbox.messages]
    assert len(message_ids) == len(set(message_ids)) == 12
