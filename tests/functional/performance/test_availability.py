"""Availability is measured by the instances themselves: an outage made with a TCP proxy between
the app and PostgreSQL leaves its minutes unmarked, and announced maintenance is kept apart.

The minutes pass on the service's clock (time-machine, ticking), not on the wall clock: five
minutes of availability take a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.support.live_server import serve
from tests.support.tcp_proxy import TcpProxy
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.ops.maintenance import announce_maintenance, end_maintenance
from waterbill.performance.tables import performance_minutes

pytestmark = pytest.mark.postgres

START = datetime(2027, 3, 10, 8, 0, 10, tzinfo=UTC)


def test_an_outage_lowers_availability_and_maintenance_is_shown_apart_from_it(
    make_postgres_database: Callable[[], str],
) -> None:
    direct_url = make_postgres_database()
    upgrade(direct_url)
    direct = make_engine(direct_url)
    url = make_url(direct_url)
    assert url.host is not None
    assert url.port is not None

    def marked(state: str = "up") -> int:
        with direct.connect() as db:
            query = select(func.count()).where(performance_minutes.c.state == state)
            return int(db.execute(query).scalar_one())

    def wait_for(count: int, state: str = "up") -> None:
        deadline = time.monotonic() + 8
        while marked(state) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marked(state) == count

    with (
        TcpProxy(url.host, url.port) as proxy,
        time_machine.travel(START, tick=True) as traveller,
    ):
        proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
        with serve(proxied, direct, performance_flush_seconds=0.1) as server:
            wait_for(1)  # 08:00
            traveller.shift(timedelta(minutes=1))
            wait_for(2)  # 08:01
            proxy.cut("reset")
            for _ in range(2):  # 08:02 and 08:03: nobody reaches the database
                traveller.shift(timedelta(minutes=1))
                time.sleep(0.6)
            assert marked() == 2
            proxy.restore()
            traveller.shift(timedelta(minutes=1))
            wait_for(3)  # 08:04

            # 08:05 closed for an announced maintenance, then opened again.
            operator = Database(Settings(database_url=direct_url))
            traveller.shift(timedelta(minutes=1))
            announce_maintenance(
                database=operator, until=START + timedelta(hours=1), message=None, now=START
            )
            wait_for(1, "maintenance")
            end_maintenance(database=operator)
            operator.dispose()
            traveller.shift(timedelta(minutes=1))  # 08:06 is under way: not yet counted
            body = httpx.get(f"{server.url}/api/v1/performance", timeout=10).json()
            page = httpx.get(f"{server.url}/performance", params={"lang": "en"}, timeout=10)
    direct.dispose()

    assert body["availability_minutes"] == {"observed": 6, "up": 3, "maintenance": 1, "outage": 2}
    assert body["availability"] == 0.6  # 3 of the 5 minutes the service was meant to be open
    assert "60 %" in page.text
