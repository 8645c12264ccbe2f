"""``waterbill audit …`` run as a real process against the real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from waterbill.access.service import pseudonym_of
from waterbill.audit.service import record_event
from waterbill.audit.tags import EventTag
from waterbill.config import Settings

WATERBILL = str(Path(sys.executable).with_name("waterbill"))


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WATERBILL_ENV": "test",
        "WATERBILL_DATABASE_URL": settings.database_url,
        "WATERBILL_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    return subprocess.run(
        [WATERBILL, "audit", *args], env=env, capture_output=True, text=True, timeout=60
    )


def seed(engine: Engine, settings: Settings, *, days_ago: int, count: int) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with engine.begin() as db:
        for index in range(count):
            record_event(
                db=db,
                tag=EventTag.STATEMENT_VIEW,
                actor=pseudonym_of("94FMDDD", settings),
                channel="api",
                code=f"01044102{index:02d}",
                auth_method="password",
                result="masked",
                reason="not_holder",
                now=at + timedelta(minutes=index),
            )


def test_verify_passes_on_an_untouched_chain_and_fails_naming_the_edited_row(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, days_ago=0, count=4)
    intact = run(settings, "verify")
    assert intact.returncode == 0, intact.stderr
    assert "chain intact: 4 rows" in intact.stdout

    with engine.begin() as db:
        db.execute(text("UPDATE audit_events SET subscriber_code = '0000000000' WHERE id = 2"))
    broken = run(settings, "verify")
    assert broken.returncode == 1
    assert "chain broken at row 2: changed" in broken.stderr


def test_prune_then_verify_passes_and_the_prune_is_logged(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, days_ago=100, count=3)
    seed(engine, settings, days_ago=1, count=2)
    pruned = run(settings, "prune", "--older-than", "30")
    assert pruned.returncode == 0, pruned.stderr
    assert "pruned 3 rows up to row 3" in pruned.stdout
    verified = run(settings, "verify")
    assert verified.returncode == 0, verified.stderr
    assert "chain intact: 3 rows, 4..6" in verified.stdout


def test_query_by_citizen_shows_views_per_hour_and_the_widest_viewers(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, days_ago=0, count=5)
    shown = run(settings, "query", "--citizen", "94fmddd")
    assert shown.returncode == 0, shown.stderr
    pseudonym = pseudonym_of("94FMDDD", settings)
    assert f"citizen {pseudonym}" in shown.stdout
    assert f"{pseudonym}       5 codes        5 views" in shown.stdout
    assert "94FMDDD" not in shown.stdout

    refused = run(settings, "query", "--citizen", "not-a-fin")
    assert refused.returncode == 2
    assert "malformed_fin" in refused.stderr
