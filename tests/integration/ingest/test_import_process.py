"""The real ``waterbill import`` process: exit codes, and a SIGKILL part-way through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from tests.feeds import invoice_row, subscriber_row, write_csv
from tests.integration.ingest.conftest import ImportFn, snapshot
from waterbill.billing.tables import invoice_revisions, invoices
from waterbill.config import Settings
from waterbill.ingest.tables import import_batches

WATERBILL = [str(Path(sys.executable).with_name("waterbill"))]


def _run(settings: Settings, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WATERBILL, *map(str, args)],
        env={
            **os.environ,
            "WATERBILL_DATABASE_URL": settings.database_url,
            "WATERBILL_ENV": "test",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _feeds(tmp_path: Path, subscribers: int) -> tuple[Path, Path]:
    codes = [f"02000{n:05d}" for n in range(subscribers)]
    subscriber_file = write_csv(
        tmp_path / "subscribers.csv", "subscribers", [subscriber_row(code) for code in codes]
    )
    rows = [
        invoice_row(code, f"2026-{month:02d}", service)
        for month in (9, 10)
        for code in codes
        for service in ("water", "wastewater")
    ]
    # A recalculation inside the file, so that a careless re-run would add a second revision.
    rows.append(
        invoice_row(
            codes[0], "2026-09", amount="5.60", consumption_m3="8.000", current_reading="108.000"
        )
    )
    return subscriber_file, write_csv(tmp_path / "invoices.csv", "invoices", rows, delimiter=";")


def test_the_command_reports_rejects_in_its_exit_code(
    tmp_path: Path, settings: Settings, engine: Engine
) -> None:
    good = write_csv(tmp_path / "good.csv", "subscribers", [subscriber_row()])
    bad = write_csv(tmp_path / "bad.csv", "subscribers", [subscriber_row("0104410204", status="x")])

    clean = _run(settings, "import", "subscribers", good)
    rejected = _run(settings, "import", "subscribers", bad, "--rejects", tmp_path / "out.csv")

    assert clean.returncode == 0, clean.stderr
    assert "good.csv: 1 sətir — yeni 1, dəyişməyən 0, yenilənib 0, rədd edilib 0" in clean.stdout
    assert rejected.returncode == 1
    assert "sətir 2: status: «x» icazə verilən dəyər deyil" in rejected.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("\n") == 2


def test_an_import_killed_part_way_then_run_again_ends_as_a_clean_import(
    tmp_path: Path, settings: Settings, engine: Engine, run_import: ImportFn
) -> None:
    subscriber_file, invoice_file = _feeds(tmp_path, 300)
    assert run_import("subscribers", subscriber_file).loaded == 300
    command = [*WATERBILL, "import", "invoices", str(invoice_file), "--batch-size", "100"]
    env = {**os.environ, "WATERBILL_DATABASE_URL": settings.database_url, "WATERBILL_ENV": "test"}

    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    committed = 0
    while committed < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
        with engine.connect() as db:
            committed = db.scalar(select(func.count()).select_from(import_batches)) or 0
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    with engine.connect() as db:
        loaded = db.scalar(select(func.count()).select_from(invoices))
    assert 0 < loaded < 1200, "the store holds only the batches committed before the kill"
    assert loaded % 100 == 0

    rerun = _run(settings, "import", "invoices", invoice_file, "--batch-size", "100")
    assert rerun.returncode == 0, rerun.stderr
    assert "partiya əvvəlki işdə tamamlanmışdı" in rerun.stdout
    after_kill = snapshot(engine)

    with engine.begin() as db:
        for table in (import_batches, invoice_revisions, invoices):
            db.execute(table.delete())
    run_import("invoices", invoice_file, batch_size=100)
    assert snapshot(engine) == after_kill
    assert len(after_kill["invoices"]) == 1200
    assert len(after_kill["invoice_revisions"]) == 1
