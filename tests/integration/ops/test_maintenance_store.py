"""Maintenance kept in the database: every instance's monitor sees the same state."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from sqlalchemy import Engine

from waterbill import clock
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.ops.maintenance import (
    MaintenanceMonitor,
    announce_maintenance,
    current_maintenance,
    end_maintenance,
)


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Database:
    db = Database(settings)
    db.primary = engine
    return db


def test_announced_maintenance_is_read_back_until_switched_off(
    database: Database, engine: Engine
) -> None:
    now = clock.now()
    until = now + timedelta(hours=2)
    announce_maintenance(
        database=database, until=until, message="  Su sayğacları yenilənir  ", now=now
    )

    window = current_maintenance(engine=engine, now=now)
    assert window is not None
    assert window.until == until
    assert window.message == "Su sayğacları yenilənir"

    assert end_maintenance(database=database) is True
    assert current_maintenance(engine=engine, now=now) is None
    assert end_maintenance(database=database) is False


def test_announcing_again_replaces_the_window_instead_of_adding_one(
    database: Database, engine: Engine
) -> None:
    now = clock.now()
    announce_maintenance(database=database, until=now + timedelta(hours=1), message="a", now=now)
    announce_maintenance(database=database, until=now + timedelta(hours=3), message=None, now=now)
    window = current_maintenance(engine=engine, now=now)
    assert window is not None
    assert window.until == now + timedelta(hours=3)
    assert window.message is None


def test_maintenance_past_its_announced_end_no_longer_applies(
    database: Database, engine: Engine
) -> None:
    now = clock.now()
    announce_maintenance(database=database, until=now + timedelta(minutes=1), message=None, now=now)
    assert current_maintenance(engine=engine, now=now + timedelta(minutes=2)) is None


def test_two_instances_monitors_see_maintenance_within_their_cache_time(
    database: Database, engine: Engine
) -> None:
    first = MaintenanceMonitor(engine, ttl=0.2)
    second = MaintenanceMonitor(engine, ttl=0.2)

    async def both() -> tuple[bool, bool]:
        a, b = await first.probe(), await second.probe()
        assert a.database_ok
        assert b.database_ok
        return a.maintenance is not None, b.maintenance is not None

    assert anyio.run(both) == (False, False)
    now = clock.now()
    announce_maintenance(database=database, until=now + timedelta(hours=1), message=None, now=now)

    async def later() -> tuple[bool, bool]:
        await anyio.sleep(0.25)
        return await both()

    assert anyio.run(later) == (True, True)
    end_maintenance(database=database)
    assert anyio.run(later) == (False, False)


def test_a_message_longer_than_the_limit_is_refused(database: Database) -> None:
    now = clock.now()
    with pytest.raises(ValueError, match="longer"):
        announce_maintenance(
            database=database, until=now + timedelta(hours=1), message="x" * 501, now=now
        )
