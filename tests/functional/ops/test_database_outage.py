"""Pulling the database away mid-traffic: clear 503s within 2 s, and recovery alone within 5 s.

A TCP proxy owned by the test sits between the app and the real PostgreSQL; the test cuts it while
citizens' requests run, then restores it, and reads every answer the citizens got.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.functional.signin import sign_in
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import serve_asgi
from tests.support.network import free_port
from tests.support.ops_app import make_app
from tests.support.tcp_proxy import Mode, TcpProxy
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.web.app import create_app

pytestmark = pytest.mark.postgres

CODE = "0104410203"


@dataclass(frozen=True)
class Answer:
    sent_at: float
    seconds: float
    status: int
    retry_after: str | None
    text: str


def _traffic(
    base: str,
    stop: threading.Event,
    answers: list[Answer],
    *,
    page: str = "/statement/",
    cookies: httpx.Cookies | None = None,
) -> Callable[[], None]:
    def run() -> None:
        with httpx.Client(timeout=10, cookies=cookies) as client:
            n = 0
            while not stop.is_set():
                path = f"{page}{CODE}" if n % 2 else f"/api/v1/statements/{CODE}"
                n += 1
                sent = time.monotonic()
                response = client.get(base + path)
                answers.append(
                    Answer(
                        sent_at=sent,
                        seconds=time.monotonic() - sent,
                        status=response.status_code,
                        retry_after=response.headers.get("retry-after"),
                        text=response.text,
                    )
                )
                time.sleep(0.02)

    return run


def _wait_for_recovery(answers: list[Answer], *, since: float, within: float) -> None:
    """Until answers have been 200 for a second after the restore, or ``within`` has passed."""
    deadline = since + within
    while time.monotonic() < deadline:
        ok = [a.sent_at for a in answers if a.sent_at > since and a.status == 200]
        if ok and time.monotonic() - min(ok) > 1.0:
            return
        time.sleep(0.1)


def _prepare_database(make_postgres_database: Callable[[], str]) -> str:
    direct_url = make_postgres_database()
    upgrade(direct_url)
    engine = make_engine(direct_url)
    with engine.begin() as db:
        sid = add_subscriber(db, surname="<script>alert('x')</script>")
        add_invoice(db, sid, "2026-10")
    engine.dispose()
    return direct_url


@pytest.mark.parametrize("mode", ["reset", "blackhole"])
def test_an_outage_mid_traffic_gives_clear_503s_and_the_service_recovers_by_itself(
    make_postgres_database: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
    mode: Mode,
) -> None:
    url = make_url(_prepare_database(make_postgres_database))
    assert url.host is not None
    assert url.port is not None
    with TcpProxy(url.host, url.port) as proxy:
        proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
        settings = Settings(
            env="test",
            database_url=proxied,
            secret_key="test-secret-key-0123456789",
            rate_limit_ip_requests=100_000,
        )
        app = make_app(settings)
        answers: list[Answer] = []
        stop = threading.Event()
        with caplog.at_level(logging.WARNING), serve_asgi(app) as base:
            cut_at, restored_at = _outage(proxy, mode, _traffic(base, stop, answers), stop, answers)
        app.state.ops.database.dispose()
    _check(answers, cut_at, restored_at, caplog, escaped="&lt;script&gt;")


def test_the_real_app_keeps_a_signed_in_citizen_informed_through_an_outage(
    make_postgres_database: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(_prepare_database(make_postgres_database))
    assert url.host is not None
    assert url.port is not None
    port = free_port()
    with TcpProxy(url.host, url.port) as proxy:
        proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
        settings = Settings(
            env="development",
            database_url=proxied,
            secret_key="test-secret-key-0123456789",
            public_url=f"http://127.0.0.1:{port}",
            rate_limit_ip_requests=100_000,
        )
        app = create_app(settings)
        answers: list[Answer] = []
        stop = threading.Event()
        with serve_asgi(app, port=port) as base:
            with httpx.Client(base_url=base, timeout=10) as client:
                client.get(sign_in(client, "5ZK3LRT").headers["location"])
                cookies = client.cookies
            traffic = _traffic(base, stop, answers, page="/statements/", cookies=cookies)
            with caplog.at_level(logging.WARNING):
                cut_at, restored_at = _outage(proxy, "reset", traffic, stop, answers)
        app.state.database.dispose()
    _check(answers, cut_at, restored_at, caplog, escaped="&lt;script&gt;")


def _outage(
    proxy: TcpProxy,
    mode: Mode,
    traffic: Callable[[], None],
    stop: threading.Event,
    answers: list[Answer],
) -> tuple[float, float]:
    workers = [threading.Thread(target=traffic) for _ in range(3)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    cut_at = time.monotonic()
    proxy.cut(mode)
    time.sleep(5.0)
    restored_at = time.monotonic()
    proxy.restore()
    _wait_for_recovery(answers, since=restored_at, within=6.0)
    stop.set()
    for worker in workers:
        worker.join()
    return cut_at, restored_at


def _check(
    answers: list[Answer],
    cut_at: float,
    restored_at: float,
    caplog: pytest.LogCaptureFixture,
    *,
    escaped: str,
) -> None:
    before = [a for a in answers if a.sent_at + a.seconds < cut_at]
    # Sent after the cut and early enough to be answered before the restore, even at the deadline.
    during = [a for a in answers if cut_at + 0.05 < a.sent_at < restored_at - 2.0]
    after = [a for a in answers if a.sent_at > restored_at]

    assert before, "no traffic before the cut"
    assert {a.status for a in before} == {200}
    assert len(during) >= 10
    assert {a.status for a in during} == {503}
    assert max(a.seconds for a in answers) < 2.0
    for answer in during:
        assert answer.retry_after is not None
        assert "955" in answer.text
        assert "Traceback" not in answer.text
    assert any('"code": "database_unavailable"' in a.text for a in during)
    assert any("Məlumat bazası ilə əlaqə" in a.text and "<h1>" in a.text for a in during)

    recovered = min(a.sent_at + a.seconds for a in after if a.status == 200)
    assert recovered - restored_at < 5.0
    settled = [a for a in after if a.sent_at > recovered]
    assert settled
    assert {a.status for a in settled} == {200}
    assert any(escaped in a.text for a in settled)

    assert {a.status for a in answers} <= {200, 503}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    # The logs tell the outage once, and its end once, rather than once per citizen.
    transitions = [r.getMessage() for r in caplog.records if r.name == "waterbill.ops.maintenance"]
    assert transitions == ["database unreachable", "database reachable again"]
