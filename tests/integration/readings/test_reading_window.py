"""Outside the month's reading window a reading is accepted and kept for the next bill."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.factories.citizens import HOLDER
from tests.support.factories.readings import metered_household
from waterbill import clock
from waterbill.calendar import YearMonth
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.readings import service
from waterbill.readings.domain import ReadingRules

CODE = "0104410231"


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    handle = Database(settings)
    yield handle
    handle.dispose()


def test_a_reading_sent_after_the_window_is_accepted_for_the_next_months_bill(
    engine: Engine, database: Database
) -> None:
    with engine.begin() as db:
        metered_household(db, CODE, HOLDER.fin)
    today = clock.today()
    this_month = YearMonth.of(today)
    # A window that ended yesterday (or, on the 1st, one still to come).
    if today.day > 1:
        rules, expected = ReadingRules(window_start_day=1, window_end_day=today.day - 1), 1
    else:
        rules, expected = ReadingRules(window_start_day=2, window_end_day=28), 0
    submission = service.Submission(code=CODE, reading="1001", read_on=today.isoformat())
    reading = service.submit_reading(
        database=database, citizen=HOLDER, submission=submission, rules=rules
    )
    assert (reading.for_period, reading.in_window) == (this_month.shift(expected), False)
    with database.read() as db:
        followed = service.get_my_reading(db=db, citizen=HOLDER, reference=reading.reference)
    assert followed.status == "received"
