"""Counts kept in memory reach the database whole: instances add up, and a flush the database
refused is written by the next one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, insert

from tests.support.factories.billing import add_subscriber
from waterbill import clock
from waterbill.cli import main
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.disputes.tables import dispute_requests
from waterbill.performance.recorder import Recorder
from waterbill.performance.schemas import PerformanceOut, performance_json
from waterbill.performance.service import performance_report, start_journey, submit_feedback


def _report(engine: Engine) -> dict[str, object]:
    with engine.connect() as db:
        body = performance_json(performance_report(db=db))
    PerformanceOut.model_validate(body)  # the shape OpenAPI describes
    return body


def test_two_recorders_add_to_the_same_daily_rows(engine: Engine) -> None:
    first, second = Recorder(engine), Recorder(engine)
    for _ in range(6):
        first.statement_view(channel="web", outcome="shown", seconds=0.04)
    for _ in range(5):
        second.statement_view(channel="web", outcome="shown", seconds=0.2)
    second.record("certificate", channel="api", outcome="issued", count=12)
    assert first.flush()
    assert second.flush()
    assert second.flush()  # nothing left: nothing added twice

    body = _report(engine)
    views = body["statement_views"]
    assert views["total"] == 11  # type: ignore[index]
    assert views["by_channel"] == {"web": 11, "api": 0, "cli": 0}  # type: ignore[index]
    # The 6th of 11 is in the bucket 25–50 ms, which holds six: 25 + 25 × 5.5 / 6.
    assert body["median_response_ms"] == 48.0
    assert body["certificates"] == 12


def test_counts_the_database_refused_are_written_by_the_next_flush(
    engine: Engine, tmp_path: Path
) -> None:
    unreachable = make_engine(
        f"sqlite:///{tmp_path / 'missing' / 'waterbill.db'}",
        Settings(database_url="sqlite://"),
    )
    recorder = Recorder(unreachable)
    for _ in range(10):
        recorder.statement_view(channel="api", outcome="shown", seconds=0.01)
    assert recorder.flush() is False
    assert recorder.pending() == 20  # ten views and their ten response times
    recorder.engine = engine
    assert recorder.flush()
    assert _report(engine)["statement_views_per_day"][-1]["count"] == 10  # type: ignore[index]


def test_sign_ins_reaching_a_statement_feedback_and_disputes_make_their_figures(
    engine: Engine,
) -> None:
    recorder = Recorder(engine)
    with engine.begin() as db:
        for n in range(12):
            start_journey(db=db, session_hash=f"session-{n}")
        for rating in (5, 4, 4, 3, 5, 5, 1, 4, 5, 2):
            submit_feedback(db=db, rating=rating, comment=None)
        subscriber_id = add_subscriber(db, code="0104410203")
        now = clock.now()
        for n in range(10):
            filed = now - timedelta(hours=30 - n)
            db.execute(
                insert(dispute_requests).values(
                    reference=f"AZS-2026-{n:06d}",
                    subscriber_id=subscriber_id,
                    period=f"2026-{n + 1:02d}",
                    service="water",
                    reason="other",
                    status="answered",
                    filed_by="p",
                    answer="ok",
                    answered_by="s",
                    filed_at=filed,
                    answered_at=filed + timedelta(hours=n + 1),
                    updated_at=filed,
                )
            )
    for n in range(9):
        recorder.journey_reached(f"session-{n}")
        recorder.journey_reached(f"session-{n}")  # a second statement of the same sign-in
    assert recorder.flush()

    body = _report(engine)
    assert body["sign_ins"] == 12
    assert body["completion_rate"] == 0.75
    assert body["satisfaction"]["mean"] == 3.8  # type: ignore[index]
    assert body["kpis"]["user_satisfaction"] == 0.7  # type: ignore[index]
    assert body["disputes"] == {"filed": 10, "answered": 10, "median_hours_to_answer": 5.5}


def test_a_statement_printed_at_an_office_counts_as_the_channel_cli(
    engine: Engine, cli: CliRunner
) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="0104410203")
    for _ in range(10):
        assert cli.invoke(main, ["statement", "0104410203"]).exit_code == 0
    assert cli.invoke(main, ["statement", "0199999999"]).exit_code == 2

    views = _report(engine)["statement_views"]
    assert views["by_channel"] == {"web": 0, "api": 0, "cli": 10}  # type: ignore[index]
    assert views["by_outcome"]["unknown_code"] is None  # type: ignore[index]
