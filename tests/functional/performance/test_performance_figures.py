"""The public figures follow what citizens did: traffic through the real app makes exactly its
counts, two instances add up, a restart keeps them, and the page, the JSON and the CSV agree."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from datetime import time as day_time
from typing import Any

import httpx
import pytest
import time_machine
from bs4 import BeautifulSoup
from sqlalchemy import Engine, select

from tests.functional.signin import form_fields, sign_in
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import serve
from waterbill import clock
from waterbill.calendar import BAKU
from waterbill.performance.tables import performance_journeys

FIN = "5ZK3LRT"
CODE = "0104410203"
# Written every 0.2 s by each instance, so a test waits little for its counts.
FAST = {"performance_flush_seconds": 0.2}


@pytest.fixture(autouse=True)
def _midday() -> Iterator[None]:
    """Noon of the clock's Baku day, still ticking: the figures are daily, so a test that ran across
    Baku midnight (``make test-clocks`` starts at 23:59 there) would split its events over two days.
    The servers run in this process, so they read the same clock."""
    noon = datetime.combine(clock.today(), day_time(12), tzinfo=BAKU)
    with time_machine.travel(noon, tick=True):
        yield


def _household(engine: Engine) -> None:
    with engine.begin() as db:
        subscriber_id = add_subscriber(db, code=CODE, holder_fin=FIN)
        add_invoice(db, subscriber_id, "2026-10", "water", "10.000")


@contextmanager
def _signed_in(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as client:
        back = sign_in(client, FIN)
        client.get(back.headers["location"])
        yield client


def _figures(base: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The JSON once ``until`` holds (the instances write every 0.2 s), or the last one read."""
    deadline = time.monotonic() + 5
    while True:
        body: dict[str, Any] = httpx.get(f"{base}/api/v1/performance", timeout=10).json()
        if until(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def _today(body: dict[str, Any]) -> dict[str, Any]:
    today: dict[str, Any] = body["statement_views_per_day"][-1]
    assert today["date"] == body["last_date"]
    return today


def test_twelve_views_make_twelve_and_every_other_outcome_is_counted_apart(
    engine: Engine, database_url: str
) -> None:
    _household(engine)
    with serve(database_url, engine, **FAST) as server, _signed_in(server.url) as citizen:
        for n in range(12):
            path = f"/statements/{CODE}" if n % 3 else f"/api/v1/statements/{CODE}"
            assert citizen.get(path).status_code == 200
        assert citizen.get("/statements", params={"code": "0199999999"}).status_code == 404
        assert citizen.get(f"/statements/{CODE}/statement.csv").status_code == 200
        assert httpx.get(f"{server.url}/api/v1/statements/{CODE}").status_code == 401

        body = _figures(
            server.url,
            lambda b: (
                b["statement_views"]["total"] == 12
                and {"downloads", "statement_views.by_outcome.unauthenticated"}
                <= set(b["fewer_than_10"])
            ),
        )

    assert _today(body) == {"date": body["last_date"], "count": 12, "fewer_than_10": False}
    assert body["statement_views"]["by_channel"] == {"web": None, "api": None, "cli": 0}
    assert body["statement_views"]["by_outcome"]["shown"] == 12
    # One of each: fewer than 10, so hidden and named in the list of hidden figures.
    assert body["statement_views"]["by_outcome"]["unknown_code"] is None
    assert "statement_views.by_outcome.unknown_code" in body["fewer_than_10"]
    assert "statement_views.by_outcome.unauthenticated" in body["fewer_than_10"]
    assert body["downloads"] is None
    assert "downloads" in body["fewer_than_10"]
    assert body["median_response_ms"] is not None
    assert body["p95_response_ms"] is not None
    assert 0 < body["median_response_ms"] <= body["p95_response_ms"]
    # One sign-in that reached a statement: a rate of one event is hidden too.
    assert body["completion_rate"] is None
    assert "completion_rate" in body["fewer_than_10"]
    assert body["kpis"]["completion_rate"] is None
    # Behind the hidden rate: the one sign-in, marked as having reached a statement once.
    with engine.connect() as db:
        journeys = db.execute(select(performance_journeys.c.reached)).scalars().all()
    assert journeys == [True]
    assert body["period_days"] == 30
    assert len(body["statement_views_per_day"]) == 30


def _views(base: str, client: httpx.Client, count: int) -> None:
    for _ in range(count):
        assert client.get(f"{base}/api/v1/statements/{CODE}").status_code == 200


def test_two_instances_add_up_and_a_restart_keeps_what_they_counted(
    engine: Engine, database_url: str
) -> None:
    _household(engine)
    # Written only when they stop: what the figures show after the restart came from the
    # shutdown of each instance.
    slow = {"performance_flush_seconds": 60}
    with (
        serve(database_url, engine, **slow) as first,
        serve(database_url, engine, **slow) as second,
        _signed_in(first.url) as citizen,
    ):
        _views(first.url, citizen, 7)
        _views(second.url, citizen, 6)
    with serve(database_url, engine, **FAST) as restarted:
        body = _figures(restarted.url, lambda b: _today(b)["count"] == 13)
    assert _today(body)["count"] == 13
    assert body["statement_views"]["by_channel"]["api"] == 13


def test_the_page_the_csv_and_the_feedback_show_the_same_figures(
    engine: Engine, database_url: str
) -> None:
    _household(engine)
    with serve(database_url, engine, **FAST, feedback_per_hour=20, admin_fins=[FIN]) as server:
        with _signed_in(server.url) as citizen:
            _views(server.url, citizen, 10)
            page = citizen.get(f"/statements/{CODE}")
            token = form_fields(page.text, "/feedback")["csrf_token"]
            answer = citizen.post(
                "/feedback", data={"rating": "4", "comment": "Aydın idi", "csrf_token": token}
            )
            assert answer.status_code == 303
            refused = citizen.post("/feedback", data={"rating": "9", "csrf_token": token})
            assert refused.status_code == 422
            assert "1" in refused.text
            # The comment is for the staff (this citizen is one), and their reading is logged.
            staff_page = citizen.get("/admin/feedback")
            assert staff_page.status_code == 200
            assert "Aydın idi" in staff_page.text
        anonymous = httpx.Client(base_url=server.url, timeout=10)
        for rating in (5, 5, 3, 4, 4, 5, 2, 5, 4):
            sent = anonymous.post("/api/v1/feedback", json={"rating": rating})
            assert sent.status_code == 201, sent.text
        assert anonymous.post("/api/v1/feedback", json={"rating": 0}).json()["error"]["code"] == (
            "malformed_rating"
        )
        body = _figures(server.url, lambda b: b["statement_views"]["total"] == 11)
        page_html = anonymous.get("/performance", params={"lang": "en"}).text
        rows = list(csv.reader(io.StringIO(anonymous.get("/performance.csv").text)))
        anonymous.close()

    assert body["satisfaction"] == {
        "responses": 10,
        "mean": 4.1,
        "by_rating": {"1": 0, "2": None, "3": None, "4": None, "5": None},
    }
    assert body["kpis"]["user_satisfaction"] == 0.8
    soup = BeautifulSoup(page_html, "html.parser")
    assert soup.h1 is not None
    assert soup.h1.get_text() == "How the service performs"
    assert soup.title is not None
    assert soup.title.get_text().startswith("How the service performs")
    assert len(soup.select("svg.chart[role=img]")) == 3
    today = soup.select("#days tbody tr")[-1]
    cells = [cell.get_text(strip=True) for cell in today.find_all(["th", "td"])]
    assert cells[1] == "11"  # statements shown
    assert "< 10" in cells  # its sign-ins and downloads, among others
    assert "Aydın" not in page_html
    header, last = rows[0], rows[-1]
    assert len(rows) == 31
    assert header[0] == "date"
    assert last[header.index("statement_views")] == "11"
    assert last[header.index("statement_views_web")] == "< 10"
    assert last[header.index("feedback_responses")] == "10"
    assert last[header.index("feedback_mean")] == "4.10"


def test_answers_beyond_the_hourly_limit_are_refused_and_a_stranger_reads_no_comment(
    engine: Engine, database_url: str
) -> None:
    with (
        serve(database_url, engine, feedback_per_hour=2) as server,
        httpx.Client(base_url=server.url, timeout=10) as anonymous,
    ):
        sent = [
            anonymous.post("/api/v1/feedback", json={"rating": 3, "comment": "x"}) for _ in range(3)
        ]
        staff_page = anonymous.get("/admin/feedback")
    assert [answer.status_code for answer in sent] == [201, 201, 429]
    assert sent[2].json()["error"]["code"] == "rate_limited"
    assert staff_page.status_code == 303  # to the sign-in first
