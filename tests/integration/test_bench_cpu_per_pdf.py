"""The bench's PDF measurement issues real statement PDFs and certificates of demo holders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench import report
from sqlalchemy import Engine, func, select

from tests.support.factories.billing import add_payment
from waterbill import clock
from waterbill.billing.tables import subscribers
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.demo.service import load_demo_data
from waterbill.documents.tables import issued_documents

ROOT = Path(__file__).resolve().parents[2]


def test_statement_pdfs_and_certificates_of_demo_holders_are_issued_and_measured(
    engine: Engine, database_url: str, settings: Settings
) -> None:
    database = Database(settings)
    try:
        load_demo_data(
            database=database,
            subscribers=6,
            seed=1,
            months=12,
            as_of=clock.today(),
            norm_m3_per_person=Decimal("3"),
        )
    finally:
        database.dispose()
    households = select(subscribers.c.id).where(
        subscribers.c.category == "population", subscribers.c.status == "active"
    )
    with engine.begin() as db:
        ids = list(db.scalars(households.order_by(subscribers.c.id)))
        # One account surely owes nothing, whatever the clock: it has a certificate to issue.
        add_payment(db, ids[0], clock.now() - timedelta(hours=1), "10000.00")
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("WATERBILL_")},
        "WATERBILL_ENV": "development",
        "WATERBILL_DATABASE_URL": database_url,
        "WATERBILL_SECRET_KEY": "bench-test-secret-0123456789",
        "WATERBILL_LOG_LEVEL": "WARNING",
        # More documents than holders: every holder is sampled, and they come round again.
        "BENCH_PDF_DOCUMENTS": "8",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }

    done = subprocess.run(
        [sys.executable, "-m", "bench.cpu_per_pdf"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["locales"] == ["az", "en", "ru"]
    statement, certificate = figures["statement"], figures["certificate"]
    # A first document apart, then the measured ones.
    assert statement["documents"] == 8
    assert statement["holders"] == len(ids)
    assert statement["first_cpu_ms"] > statement["first_rendering_cpu_ms"] > 0
    assert certificate["documents"] == 8
    assert 1 <= certificate["holders"] <= len(ids)
    for kind in (statement, certificate):
        cpu, rendering = kind["cpu_ms"], kind["rendering_cpu_ms"]
        assert 0 < cpu["min"] <= cpu["median"] <= cpu["p90"]
        assert 0 < rendering["median"] <= cpu["p90"]
        assert 0 < kind["bytes"]["min"] <= kind["bytes"]["median"] <= kind["bytes"]["max"]
    with engine.connect() as db:
        issued = db.scalar(select(func.count()).select_from(issued_documents))
    assert issued == 2 * (8 + 1)  # every statement PDF and every certificate, each on record
    assert "| statement PDF `GET /statements/{code}/statement.pdf` | 8 |" in report.render(
        {"postgresql": {"scale": "small", "documents": figures}}
    )
