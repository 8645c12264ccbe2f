"""A worker's request threads match its pooled connections, and the health checks keep their own.

Under load every request thread can be busy waiting on the database; the readiness check and the
outage probe must still answer from threads of their own instead of queueing behind them (where
they would time out and report an outage that is not there).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
from sqlalchemy import Engine

from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import serve
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

pytestmark = pytest.mark.postgres

FIN = "5ZK3LRT"
CODE = "0104410203"


def _waiting_on_subscribers(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'subscribers'::regclass AND NOT granted"
        ).fetchone()
    return bool(row and row[0])


@pytest.fixture
def postgres(make_postgres_database: Callable[[], str]) -> Iterator[tuple[str, Engine]]:
    url = make_postgres_database()
    upgrade(url)
    engine = make_engine(url, Settings(database_url=url))
    yield url, engine
    engine.dispose()


def test_readiness_answers_while_every_request_thread_waits_on_the_database(
    postgres: tuple[str, Engine],
) -> None:
    postgres_url, postgres_engine = postgres
    with postgres_engine.begin() as db:
        subscriber_id = add_subscriber(db, code=CODE, holder_fin=FIN)
        add_invoice(db, subscriber_id, "2026-10", "water", "10.000")
    plain_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    # One pooled connection, so one request thread: a single waiting statement fills them all.
    with serve(postgres_url, postgres_engine, database_pool_size=1, request_deadline=20) as live:
        with postgres_engine.connect() as db:
            token = access_token(
                live.settings, claims=citizen_claims(db=db, fin=FIN, method="asan_imza")
            )
        answers: list[int] = []
        with psycopg.connect(plain_url) as locker:
            locker.execute("LOCK TABLE subscribers IN ACCESS EXCLUSIVE MODE")
            waiting = threading.Thread(
                target=lambda: answers.append(
                    httpx.get(
                        f"{live.url}/api/v1/statements/{CODE}",
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=30,
                    ).status_code
                )
            )
            waiting.start()
            deadline = time.monotonic() + 10
            while not _waiting_on_subscribers(plain_url):
                assert time.monotonic() < deadline, "the statement never waited on the lock"
                time.sleep(0.02)
            started = time.monotonic()
            ready = httpx.get(f"{live.url}/readyz", timeout=10)
            took = time.monotonic() - started
            locker.rollback()
        waiting.join()
    assert ready.status_code == 200, ready.text
    assert ready.json()["database"] == "ok"
    assert took < live.settings.request_deadline
    assert answers == [200]
