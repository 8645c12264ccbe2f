"""The export cursor under concurrent submissions: each reading is collected exactly once.

A cursor is taken from a counter row whose lock the submitting transaction keeps until it
commits, so a reading can never become visible after one with a higher cursor; an export that
resumes after the last cursor it saw therefore misses nothing, even while submissions commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tests.support.factories.citizens import HOLDER
from tests.support.factories.readings import metered_household
from waterbill import clock
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.readings import repository, service
from waterbill.readings.domain import ReadingRules

RULES = ReadingRules(window_start_day=1, window_end_day=31, daily_limit=1000)
CODES = ("0104410211", "0104410212", "0104410213", "0104410214")


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    handle = Database(settings)
    yield handle
    handle.dispose()


def _households(engine: Engine) -> list[int]:
    with engine.begin() as db:
        return [metered_household(db, code, HOLDER.fin) for code in CODES]


def _submit(database: Database, code: str, figure: str = "1001.000") -> str:
    submission = service.Submission(code=code, reading=figure, read_on=clock.today().isoformat())
    reading = service.submit_reading(
        database=database, citizen=HOLDER, submission=submission, rules=RULES, channel="api"
    )
    return reading.reference


def _export(database: Database, since: str, limit: int = 1000) -> service.ExportPage:
    return service.export_readings(
        database=database, since=since, limit=limit, channel="api", channel_name="billing"
    )


@pytest.mark.postgres
def test_a_submission_waits_for_an_uncommitted_earlier_one_so_no_export_skips_it(
    engine: Engine, database: Database, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time anyway")
    subscriber_ids = _households(engine)
    with engine.connect() as slow:
        transaction = slow.begin()
        first = repository.next_seq(slow)
        repository.insert_reading(
            slow,
            seq=first,
            reference="SAY-2026-SLOW",
            subscriber_id=subscriber_ids[0],
            reading=Decimal("1001.000"),
            read_on=clock.today(),
            for_period="2026-12",
            in_window=True,
            implausible=False,
            meter_serial=None,
            last_billed=None,
            submitted_by=HOLDER.pseudonym,
            submitted_at=datetime.now(UTC),
        )
        later: list[str] = []
        submitter = threading.Thread(target=lambda: later.append(_submit(database, CODES[1])))
        submitter.start()
        time.sleep(0.5)
        # The later submission cannot take a cursor, let alone commit, before the first ends.
        assert submitter.is_alive()
        assert _export(database, "0").readings == []
        transaction.commit()
    submitter.join(timeout=10)
    exported = _export(database, "0").readings
    assert [(r.cursor, r.reference) for r in exported] == [
        (first, "SAY-2026-SLOW"),
        (first + 1, later[0]),
    ]


def test_two_exports_racing_with_four_submitters_each_collect_every_reading_exactly_once(
    engine: Engine, database: Database
) -> None:
    _households(engine)
    submitted: list[str] = []
    lock = threading.Lock()

    def submitter(code: str) -> None:
        for _ in range(8):
            reference = _submit(database, code)
            with lock:
                submitted.append(reference)

    def exporter(collected: list[str], done: threading.Event) -> None:
        cursor = "0"
        while True:
            finished = done.is_set()
            page = _export(database, cursor, limit=3)
            collected.extend(reading.reference for reading in page.readings)
            cursor = str(page.next_cursor)
            if finished and not page.more and not page.readings:
                return

    done = threading.Event()
    results: list[list[str]] = [[], []]
    exporters = [threading.Thread(target=exporter, args=(found, done)) for found in results]
    submitters = [threading.Thread(target=submitter, args=(code,)) for code in CODES]
    for thread in [*exporters, *submitters]:
        thread.start()
    for thread in submitters:
        thread.join(timeout=60)
    done.set()
    for thread in exporters:
        thread.join(timeout=60)
    assert len(submitted) == 32
    for collected in results:
        assert sorted(collected) == sorted(submitted)
        assert len(set(collected)) == len(collected)
