"""The real ``waterbill import`` process: exit codes, and a SIGKILL part-way through."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from tests.integration.ingest.conftest import ImportFn, snapshot
from tests.support.factories.feeds import invoice_row, subscriber_row, write_csv
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
    # Rejects spread over the batches, and bills exported without their readings.
    # The first row stays good: the recalculation above needs its original to make a revision.
    for index in range(1, len(rows), 97):
        rows[index] = {**rows[index], "amount": "4,9x"}
    for index in range(5, len(rows), 89):
        rows[index] = {**rows[index], "previous_reading": "", "current_reading": ""}
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


def _invoice_batches(engine: Engine) -> list[tuple[object, ...]]:
    """The invoice batches recorded, without their clock times."""
    columns = [c for c in import_batches.c if c.name not in {"id", "finished_at"}]
    with engine.connect() as db:
        rows = db.execute(select(*columns).where(import_batches.c.kind == "invoices"))
        return sorted(tuple(row) for row in rows)


def _writing(engine: Engine) -> bool:
    """Whether another connection holds an open transaction that has written to the store."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as db:
            return bool(
                db.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                    )
                )
            )
    # SQLite admits one writer: a write transaction we cannot start is the importer's.
    with _sqlite(engine) as db:
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            return True
        db.execute("ROLLBACK")
        return False


@contextmanager
def _sqlite(engine: Engine) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def _writes_held(engine: Engine) -> Iterator[None]:
    """Holds the store's write lock, so the importer waits before it writes its next batch."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as db:
            db.execute(text("LOCK TABLE import_batches, invoices IN EXCLUSIVE MODE"))
            yield
        return
    with _sqlite(engine) as db:
        # Asked for again at once rather than by SQLite's busy handler, whose growing sleeps can
        # miss every gap between two of the importer's batches until it has finished them all.
        db.execute("PRAGMA busy_timeout = 0")
        deadline = time.monotonic() + 30
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError:
                assert time.monotonic() < deadline, "the importer never let go of the store"
        try:
            yield
        finally:
            db.execute("ROLLBACK")


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"


@pytest.mark.parametrize("moment", ["inside_a_batch", "between_batches"])
def test_an_import_killed_part_way_then_run_again_ends_as_a_clean_import(
    moment: str, tmp_path: Path, settings: Settings, engine: Engine, run_import: ImportFn
) -> None:
    subscriber_file, invoice_file = _feeds(tmp_path, 300)
    assert run_import("subscribers", subscriber_file).loaded == 300
    rejects = tmp_path / "rejects.csv"
    import_command = (
        "import",
        "invoices",
        invoice_file,
        "--batch-size",
        "100",
        "--rejects",
        rejects,
    )
    env = {**os.environ, "WATERBILL_DATABASE_URL": settings.database_url, "WATERBILL_ENV": "test"}

    process = subprocess.Popen(
        [*WATERBILL, *map(str, import_command)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(_invoice_batches(engine)) < 3 and time.monotonic() < deadline:
        assert process.poll() is None, "the import finished before it could be killed"
        time.sleep(0.005)
    if moment == "between_batches":
        with _writes_held(engine):
            _kill(process)
    else:
        while not _writing(engine):
            assert process.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline, "the importer was never seen inside a batch"
            time.sleep(0.001)
        _kill(process)
    assert 3 <= len(_invoice_batches(engine)) < 13, "the batches committed before the kill"

    rerun = _run(settings, *import_command)
    assert rerun.returncode == 1, rerun.stderr
    rejects_after_kill = rejects.read_text(encoding="utf-8")
    assert "partiya əvvəlki işdə tamamlanmışdı" in rerun.stdout
    after_kill = snapshot(engine)
    batches_after_kill = _invoice_batches(engine)

    with engine.begin() as db:
        for table in (import_batches, invoice_revisions, invoices):
            db.execute(table.delete())
    clean = _run(settings, *import_command)
    assert clean.returncode == 1, clean.stderr
    assert snapshot(engine) == after_kill
    assert _invoice_batches(engine) == batches_after_kill, "each batch recorded once, alike"
    assert len(batches_after_kill) == 13
    assert rejects.read_text(encoding="utf-8") == rejects_after_kill
    assert rejects_after_kill.count("\n") == 1 + 13, "a header and the 13 broken amounts"
    assert len(after_kill["invoices"]) == 1200 - 13
    assert len(after_kill["invoice_revisions"]) == 1
