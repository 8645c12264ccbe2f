"""``waterbill audit …`` against the real databases; ``verify`` as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine, select, text

from tests.support.factories.billing import add_subscriber
from waterbill import clock
from waterbill.access.policy import pseudonym_of
from waterbill.audit.service import record_event
from waterbill.audit.tables import audit_events
from waterbill.audit.tags import EventTag
from waterbill.cli import main
from waterbill.config import Settings, get_settings

WATERBILL = str(Path(sys.executable).with_name("waterbill"))


def environment(settings: Settings) -> dict[str, str]:
    return {
        "WATERBILL_ENV": "test",
        "WATERBILL_DATABASE_URL": settings.database_url,
        "WATERBILL_SECRET_KEY": settings.secret_key.get_secret_value(),
    }


def run(settings: Settings, *args: str) -> Result:
    """The command in this process (click's runner): the same code, a second faster."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args), env=environment(settings))
    finally:
        get_settings.cache_clear()


def run_process(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WATERBILL, *args],
        env={**os.environ, **environment(settings)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def seed(engine: Engine, settings: Settings, *, days_ago: int, count: int) -> None:
    at = clock.now() - timedelta(days=days_ago)
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
                # One chain, so the positions named below are predictable.
                chain=0,
            )


def test_verify_passes_on_an_untouched_chain_and_fails_naming_the_edited_row(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, days_ago=0, count=4)
    intact = run(settings, "audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "log intact: 4 rows in 1 chain" in intact.stdout
    assert "chain 0 intact: 4 rows, 1..4" in intact.stdout

    with engine.begin() as db:
        db.execute(
            text(
                "UPDATE audit_events SET subscriber_code = '0000000000' "
                "WHERE chain = 0 AND position = 2"
            )
        )
    broken = run_process(settings, "audit", "verify")
    assert broken.returncode == 1
    assert "chain 0 broken at row 2 (id " in broken.stderr
    assert ": changed" in broken.stderr


def test_prune_then_verify_passes_and_the_prune_is_logged(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, days_ago=100, count=3)
    seed(engine, settings, days_ago=1, count=2)
    pruned = run(settings, "audit", "prune", "--older-than", "30")
    assert pruned.exit_code == 0, pruned.output
    assert "pruned 3 rows from 1 chain" in pruned.stdout
    assert "chain 0: up to row 3; anchor " in pruned.stdout
    verified = run(settings, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    # The two recent views and the prune's own event.
    assert "chain 0 intact: 3 rows, 4..6" in verified.stdout


def test_query_by_citizen_shows_views_per_hour_and_the_widest_viewers(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, days_ago=0, count=5)
    shown = run(settings, "audit", "query", "--citizen", "94fmddd")
    assert shown.exit_code == 0, shown.output
    pseudonym = pseudonym_of("94FMDDD", settings)
    assert f"citizen {pseudonym}" in shown.stdout
    assert f"{pseudonym}       5 codes        5 views" in shown.stdout
    assert "94FMDDD" not in shown.stdout

    refused = run(settings, "audit", "query", "--citizen", "not-a-fin")
    assert refused.exit_code == 2
    assert "malformed_fin" in refused.stderr


def test_an_operator_printing_a_statement_is_logged(engine: Engine, settings: Settings) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="0104410203")
    for code in ("0104410203", "9999999999"):
        run(settings, "statement", code)
    with engine.connect() as db:
        logged = db.execute(
            select(
                audit_events.c.tag,
                audit_events.c.channel,
                audit_events.c.subscriber_code,
                audit_events.c.result,
                audit_events.c.reason,
            ).order_by(audit_events.c.id)
        ).all()
    assert [tuple(row) for row in logged] == [
        ("statement:view", "cli", "0104410203", "full", "operator"),
        ("access:refused", "cli", "9999999999", "refused", "unknown_code"),
    ]
