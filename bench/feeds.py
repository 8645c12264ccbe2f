"""The three billing feeds as CSV files, exported from a generated database.

PostgreSQL writes them itself (``COPY (SELECT …) TO STDOUT``); SQLite through the csv module. Rows
are ordered by subscriber so that the first tenth of each file is a consistent smaller input.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import psycopg

from waterbill.ingest.columns import COLUMNS, KINDS

# The contract's columns, from the importer: one definition, so the bench exports what it reads.
FEEDS = KINDS
HEADERS = COLUMNS


def _queries(boolean: str, money: str, volume: str, tariff: str, paid_at: str) -> dict[str, str]:
    return {
        "subscribers": f"""
            SELECT code, holder_fin, surname, name, patronymic, region, city, district, street,
                   building, apartment, persons_served, {boolean.format("water_service")},
                   {boolean.format("wastewater_service")}, meter_type, meter_serial, tariff_zone,
                   category, status, opened_on
            FROM subscribers WHERE id <= {{last_id}} ORDER BY id""",
        "invoices": f"""
            SELECT i.invoice_no, s.code, i.period, i.service,
                   {volume.format("i.previous_reading")}, {volume.format("i.current_reading")},
                   {volume.format("i.consumption_m3")}, {tariff.format("i.tariff")},
                   {money.format("i.amount")}, i.basis, i.issued_on
            FROM invoices i JOIN subscribers s ON s.id = i.subscriber_id
            WHERE i.subscriber_id <= {{last_id}}
            ORDER BY i.subscriber_id, i.period, i.service""",
        "payments": f"""
            SELECT p.payment_id, s.code, {paid_at}, {money.format("p.amount")}, p.channel,
                   p.reverses
            FROM payments p JOIN subscribers s ON s.id = p.subscriber_id
            WHERE p.subscriber_id <= {{last_id}}
            ORDER BY p.subscriber_id, p.paid_at, p.id""",
    }


POSTGRES_QUERIES = _queries(
    boolean="CASE WHEN {} THEN 1 ELSE 0 END",
    money="{}",
    volume="{}",
    tariff="{}",
    paid_at="to_char(p.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
)
# SQLite keeps exact decimals as integers of their smallest unit; the feed wants decimal text.
SQLITE_QUERIES = _queries(
    boolean="{}",
    money="printf('%.2f', {} / 100.0)",
    volume="CASE WHEN {0} IS NULL THEN NULL ELSE printf('%.3f', {0} / 1000.0) END",
    tariff="printf('%.4f', {} / 10000.0)",
    paid_at="strftime('%Y-%m-%dT%H:%M:%SZ', p.paid_at)",
)


def last_id_sql(subscribers: int | None) -> str:
    """The highest subscriber id of the first ``subscribers`` (all of them when None)."""
    if subscribers is None:
        return "SELECT max(id) FROM subscribers"
    return (
        f"SELECT max(id) FROM (SELECT id FROM subscribers ORDER BY id LIMIT {int(subscribers)}) f"
    )


def export_postgres(url: str, directory: Path, subscribers: int | None) -> dict[str, int]:
    """One CSV file per feed for the first ``subscribers``; returns the rows written per feed."""
    counts: dict[str, int] = {}
    with psycopg.connect(url) as connection:
        last_id = connection.execute(last_id_sql(subscribers)).fetchone()[0]  # type: ignore[index]
        for feed in FEEDS:
            path = directory / f"{feed}.csv"
            select = POSTGRES_QUERIES[feed].format(last_id=int(last_id))
            query = f"COPY ({select}) TO STDOUT WITH (FORMAT csv)"
            with path.open("wb") as out, connection.cursor() as cursor:
                out.write((",".join(HEADERS[feed]) + "\n").encode())
                with cursor.copy(query) as copy:
                    for chunk in copy:
                        out.write(chunk)
            counts[feed] = count_rows(path)
    return counts


def export_sqlite(path: str, directory: Path, subscribers: int | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    connection = sqlite3.connect(path)
    try:
        last_id = connection.execute(last_id_sql(subscribers)).fetchone()[0]
        for feed in FEEDS:
            rows = 0
            with (directory / f"{feed}.csv").open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(HEADERS[feed])
                cursor = connection.execute(SQLITE_QUERIES[feed].format(last_id=int(last_id)))
                while batch := cursor.fetchmany(10_000):
                    writer.writerows(batch)
                    rows += len(batch)
            counts[feed] = rows
    finally:
        connection.close()
    return counts


def count_rows(path: Path) -> int:
    """Data rows of a CSV file written by these exports (no newline inside a field)."""
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n")
    return lines - 1


def head(source: Path, target: Path, rows: int) -> list[str]:
    """The header and the first ``rows`` rows of a subscribers file; returns their codes."""
    codes: list[str] = []
    with (
        source.open(encoding="utf-8", newline="") as inp,
        target.open("w", encoding="utf-8") as out,
    ):
        out.write(inp.readline())
        for line in inp:
            if len(codes) >= rows:
                break
            out.write(line)
            codes.append(line.split(",", 1)[0])
    return codes


def rows_of(source: Path, target: Path, codes: set[str]) -> int:
    """The header and the leading rows of an invoices or payments file that belong to ``codes``.

    The files are ordered by subscriber, so the rows of the first subscribers come first.
    """
    written = 0
    with (
        source.open(encoding="utf-8", newline="") as inp,
        target.open("w", encoding="utf-8") as out,
    ):
        out.write(inp.readline())
        for line in inp:
            if line.split(",", 2)[1] not in codes:
                break
            out.write(line)
            written += 1
    return written
