"""A recorded meter replacement lets the new meter's lower figures through, from the command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from tests.support.factories.citizens import HOLDER
from tests.support.factories.readings import metered_household
from waterbill import clock
from waterbill.cli import main
from waterbill.config import Settings, get_settings
from waterbill.db.database import Database
from waterbill.readings import service
from waterbill.readings.domain import ReadingRules
from waterbill.readings.errors import ReadingDecreased

CODE = "0104410221"
RULES = ReadingRules(window_start_day=1, window_end_day=31)


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    handle = Database(settings)
    yield handle
    handle.dispose()


def test_a_new_meter_recorded_by_staff_may_show_less_than_the_old_one(
    engine: Engine, database: Database, database_url: str
) -> None:
    with engine.begin() as db:
        metered_household(db, CODE, HOLDER.fin)
    today = clock.today().isoformat()
    submission = service.Submission(code=CODE, reading="3.250", read_on=today)

    def submit() -> str:
        reading = service.submit_reading(
            database=database, citizen=HOLDER, submission=submission, rules=RULES
        )
        return f"{reading.reading} {reading.last_billed}"

    with pytest.raises(ReadingDecreased):
        submit()
    get_settings.cache_clear()
    recorded = CliRunner(env={"WATERBILL_DATABASE_URL": database_url}).invoke(
        main, ["readings", "meter-replaced", CODE, "--on", today, "--reading", "0,5"]
    )
    get_settings.cache_clear()
    assert recorded.exit_code == 0, recorded.output
    assert submit() == "3.250 0.500"
