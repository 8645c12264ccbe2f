"""Import throughput and peak memory against a raw COPY of the same file (PostgreSQL).

    .venv/bin/python -m bench.import_throughput --rows 1000000

Creates a scratch database, imports ROWS/4 subscribers, then times (1) a raw ``COPY`` of the
invoices file into a plain table with the file's columns and (2) ``waterbill import invoices`` of
the same file in a child process, whose peak RSS is read from the kernel (wait4). Drops the
database at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from waterbill.db.migrate import upgrade
from waterbill.ingest.columns import INVOICE_COLUMNS, SUBSCRIBER_COLUMNS

ADMIN_URL = os.environ.get(
    "WATERBILL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
WATERBILL = str(Path(sys.executable).with_name("waterbill"))
RAW_TABLE = """
CREATE TABLE raw_invoices (
    invoice_no text, subscriber_code text, period text, service text,
    previous_reading numeric(14,3), current_reading numeric(14,3), consumption_m3 numeric(14,3),
    tariff numeric(10,4), amount numeric(14,2), basis text, issued_on date
)
"""


# A subscriber row but its code: one household, repeated.
HOUSEHOLD = {
    "holder_fin": "5ZK3LRT",
    "surname": "Hüseynov",
    "name": "Qorxmaz",
    "patronymic": "Əli oğlu",
    "region": "Bakı",
    "city": "Bakı",
    "district": "Nəsimi",
    "street": "Füzuli küç.",
    "building": "12",
    "apartment": "34",
    "persons_served": "4",
    "water_service": "1",
    "wastewater_service": "1",
    "meter_type": "mechanical",
    "meter_serial": "MX-1",
    "tariff_zone": "baku_absheron",
    "category": "population",
    "status": "active",
    "opened_on": "2015-03-01",
}


def write_feeds(folder: Path, rows: int) -> tuple[Path, Path]:
    subscribers = rows // 4
    codes = [f"01{n:08d}" for n in range(subscribers)]
    subscriber_file = folder / "subscribers.csv"
    with subscriber_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, SUBSCRIBER_COLUMNS)
        writer.writeheader()
        for code in codes:
            writer.writerow({"subscriber_code": code, **HOUSEHOLD})
    invoice_file = folder / "invoices.csv"
    with invoice_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, INVOICE_COLUMNS)
        writer.writeheader()
        for period in ("2026-09", "2026-10"):
            for number, code in enumerate(codes):
                consumption = 3 + number % 11
                for service, tariff in (("water", "0.70"), ("wastewater", "0.30")):
                    writer.writerow(
                        {
                            "invoice_no": f"{period.replace('-', '')}-{code}",
                            "subscriber_code": code,
                            "period": period,
                            "service": service,
                            "previous_reading": "100.000",
                            "current_reading": f"{100 + consumption}.000",
                            "consumption_m3": f"{consumption}.000",
                            "tariff": tariff,
                            "amount": f"{consumption * float(tariff):.2f}",
                            "basis": "meter",
                            "issued_on": f"{period}-28",
                        }
                    )
    return subscriber_file, invoice_file


def raw_copy(url: str, path: Path) -> float:
    with psycopg.connect(url) as connection:
        connection.execute(RAW_TABLE)
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY raw_invoices FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE raw_invoices")
        connection.commit()
    return elapsed


def timed_import(url: str, kind: str, path: Path) -> tuple[float, int]:
    env = {**os.environ, "WATERBILL_DATABASE_URL": url, "WATERBILL_ENV": "test"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [WATERBILL, "import", kind, str(path)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed:\n{output}")
    print(output.strip())
    return elapsed, usage.ru_maxrss // 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    name = f"waterbill_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory() as folder:
            subscriber_file, invoice_file = write_feeds(Path(folder), args.rows)
            size = invoice_file.stat().st_size / 1e6
            print(f"invoices file: {args.rows} rows, {size:.0f} MB")
            seconds, rss = timed_import(url, "subscribers", subscriber_file)
            print(f"subscribers: {args.rows // 4 / seconds:,.0f} rows/s, peak RSS {rss} MB")
            copy_seconds = raw_copy(url, invoice_file)
            print(f"raw COPY: {copy_seconds:.1f} s, {args.rows / copy_seconds:,.0f} rows/s")
            seconds, rss = timed_import(url, "invoices", invoice_file)
            print(
                f"waterbill import invoices: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s "
                f"({copy_seconds / seconds:.0%} of raw COPY), peak RSS {rss} MB"
            )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
