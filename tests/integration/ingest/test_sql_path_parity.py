"""On PostgreSQL a CSV feed's plain rows are checked and loaded in SQL (``ingest/bulk.py``) and
only the others go through the rules in Python; a JSON Lines feed goes through the rules alone.
The same rows in both formats must end the same way: the same store, the same rejects with the
same messages, the same counts and warnings. Each batch of one row lets every row that SQL can
cast take the SQL path; one batch of all rows also covers a batch that SQL cannot cast at all.
(On SQLite both files go through the rules: the comparison then holds the two readers together.)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete

from tests.integration.ingest.conftest import ImportFn, snapshot
from tests.support.factories.feeds import (
    invoice_row,
    payment_row,
    subscriber_row,
    write_csv,
    write_jsonl,
)
from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.ingest.columns import COLUMNS
from waterbill.ingest.formats import Feed
from waterbill.ingest.imports import FileSummary
from waterbill.ingest.tables import import_batches

NBSP, EM_SPACE, IDEOGRAPHIC_SPACE = "\u00a0", "\u2003", "\u3000"

SUBSCRIBER_CASES: list[dict[str, str]] = [
    {},
    {"holder_fin": "5zk3lrt"},
    {"holder_fin": "5ZK3LRO"},
    {"holder_fin": "5ZK3LR"},
    {"surname": f"{NBSP}Hüseynov"},
    {"surname": f"Hüseynov{EM_SPACE}"},
    {"surname": " Hüseynov"},
    {"surname": "Hüseynov\t"},
    {"surname": "x" * 100},
    {"surname": "x" * 101},
    {"surname": ""},
    {"surname": IDEOGRAPHIC_SPACE},
    {"name": f"Qor{NBSP}xmaz"},
    {"patronymic": ""},
    {"district": "  "},
    {"apartment": ""},
    {"apartment": "x" * 21},
    {"street": 'Füzuli küç., "Dalan" 3'},
    {"street": "Füzuli küç.\nblok B"},
    {"persons_served": "007"},
    {"persons_served": "+3"},
    {"persons_served": " 3"},
    {"persons_served": "999"},
    {"persons_served": "1000"},
    {"persons_served": "0"},
    {"persons_served": "-1"},
    {"persons_served": "3.0"},
    {"persons_served": "٣"},
    {"water_service": "TRUE"},
    {"water_service": "True"},
    {"water_service": "yes"},
    {"wastewater_service": "false"},
    {"wastewater_service": " 1"},
    {"meter_type": "Mechanical"},
    {"meter_type": " none"},
    {"meter_type": "smart_card", "meter_serial": ""},
    {"tariff_zone": "regions", "category": "non_population", "status": "closed"},
    {"opened_on": "2024-02-29"},
    {"opened_on": "2023-02-29"},
    {"opened_on": "2015-3-1"},
    {"opened_on": "1949-12-31"},
    {"opened_on": "1950-01-01"},
    {"opened_on": "2026-11-26"},
    {"opened_on": "2026-11-27"},
    {"opened_on": "20150301"},
    {"opened_on": "2015-03-01 "},
    {"opened_on": "yesterday"},
    {"subscriber_code": "010-441-0299"},
    {"subscriber_code": "0104 41 0298"},
    {"subscriber_code": "12345"},
    {"subscriber_code": "1234567890123"},
    {"subscriber_code": "12345678901234"},
    {"subscriber_code": "١٢٣٤٥٦٧"},
    {"subscriber_code": "01044102ab"},
]

INVOICE_CASES: list[dict[str, str]] = [
    {},
    {"amount": "4,90"},
    {"tariff": "0,7"},
    {"consumption_m3": " 7.000"},
    {"consumption_m3": "+7"},
    {"consumption_m3": "7."},
    {"consumption_m3": ".5"},
    {"consumption_m3": "1e1"},
    {"consumption_m3": "1E-3"},
    {"consumption_m3": "NaN"},
    {"consumption_m3": "Infinity"},
    {"consumption_m3": "7.0000"},
    {"consumption_m3": "-7"},
    {"consumption_m3": "-0"},
    {"consumption_m3": "12345678901.5"},
    {"consumption_m3": "123456789012"},
    {"consumption_m3": "yeddi"},
    {"consumption_m3": "1,234.5"},
    {"tariff": "0.70001"},
    {"tariff": "1234567.0"},
    {"amount": "-3.00"},
    {"amount": "4.901"},
    {"amount": "--1"},
    {"amount": "123456789012,99"},
    {"amount": "1234567890123"},
    {"amount": "5.90"},
    {"invoice_no": f"{NBSP}A-1"},
    {"invoice_no": f"A-1{IDEOGRAPHIC_SPACE}"},
    {"invoice_no": "\tA-1"},
    {"invoice_no": "Ə-2026-1"},
    {"invoice_no": "x" * 32},
    {"invoice_no": "x" * 33},
    {"invoice_no": "a b"},
    {"subscriber_code": "010-441-0203"},
    {"subscriber_code": "0104410203 "},
    {"subscriber_code": "0999999999"},
    {"subscriber_code": "12345"},
    {"subscriber_code": "١٢٣٤٥٦٧"},
    {"service": "Water"},
    {"basis": " norm"},
    {"previous_reading": "", "current_reading": "", "basis": "norm"},
    {"previous_reading": "", "current_reading": "", "basis": "estimate"},
    {"previous_reading": "", "current_reading": ""},
    {"previous_reading": ""},
    {"current_reading": "", "basis": "estimate"},
    {"current_reading": "", "basis": "norm"},
    {"current_reading": ""},
    {"previous_reading": "110.000"},
    {"previous_reading": "100,5", "current_reading": "107,5"},
    {"issued_on": "{year}-02-29"},
    {"issued_on": "{year}-04-31"},
    {"issued_on": "{year}-04-30"},
    {"issued_on": "{year}-12-31"},
    {"issued_on": "{year}-1-5"},
    {"issued_on": "{year}-01-05 "},
    {"issued_on": "2026-11-27"},
    {"issued_on": "2026-11-26"},
    {"issued_on": "today"},
]
# (period, issued_on): the month itself and its bounds.
PERIOD_CASES = [
    ("2026-11", "2026-11-26"),
    ("2026-12", "2026-11-26"),
    ("1999-12", "2000-01-05"),
    ("2000-01", "2000-01-05"),
    ("2000-1", "2000-01-05"),
    (" 2026-10", "2026-11-05"),
    ("2026-13", "2026-11-05"),
    ("2024-02", "2024-02-29"),
    ("٢٠٢٦-١٠", "2026-11-05"),
]

PAYMENT_CASES: list[dict[str, str]] = [
    {},
    {"paid_at": "2026-10-05T06:00:00Z"},
    {"paid_at": "2026-10-05T10:00:00"},
    {"paid_at": "2026-10-05T10:00:00-03:30"},
    {"paid_at": "2026-10-05T10:00:00+0400"},
    {"paid_at": "2026-10-05 10:00:00"},
    {"paid_at": "2026-10-05T10:00:00.5Z"},
    {"paid_at": "2026-10-05T24:00:00Z"},
    {"paid_at": "2026-10-05T23:59:60Z"},
    {"paid_at": "2026-10-05"},
    {"paid_at": "2010-07-01T12:00:00"},
    {"paid_at": "2015-10-25T04:30:00"},
    {"paid_at": "2016-01-01T00:00:00"},
    {"paid_at": "2026-11-26T14:04:00+04:00"},
    {"paid_at": "2026-11-26T14:06:00+04:00"},
    {"paid_at": "1999-12-31T23:00:00+04:00"},
    {"paid_at": "1999-12-31T20:30:00Z"},
    {"paid_at": "yesterday"},
    {"paid_at": "2026-13-05T10:00:00Z"},
    {"amount": "7"},
    {"amount": "7,50"},
    {"amount": "7.505"},
    {"amount": "0"},
    {"amount": "-7"},
    {"amount": "1e2"},
    {"amount": "NaN"},
    {"amount": " 7.00"},
    {"amount": "7."},
    {"amount": ".5"},
    {"amount": "yeddi"},
    {"payment_id": " P-x"},
    {"payment_id": f"P-y{NBSP}"},
    {"payment_id": "x" * 64},
    {"payment_id": "x" * 65},
    {"payment_id": f"P{NBSP}z"},
    {"payment_id": "P-\u202egpj.exe"},  # a right-to-left override
    {"payment_id": "P-\x07bell"},
    {"payment_id": "P-\u200bzw"},  # a zero-width space
    {"payment_id": "P-ödəniş"},  # not ASCII, but printable: loaded
    {"channel": "x" * 40},
    {"channel": "x" * 41},
    {"channel": " kapitalbank"},
    {"subscriber_code": "0999999999"},
    {"subscriber_code": "010-441-0203"},
    {"subscriber_code": "0104410204"},
    {"payment_id": "S-1"},
    {"payment_id": "S-2", "amount": "70.00"},
    {"payment_id": "R-1", "amount": "-7.00", "reverses": "P-0"},
    {"payment_id": "R-2", "amount": "-7.00", "reverses": "P-later"},
    {"payment_id": "P-later"},
    {"payment_id": "R-3", "amount": "-1.00", "reverses": "S-1"},
    {"payment_id": "R-4", "amount": "-9.00", "reverses": "S-1"},
    {"payment_id": "R-5", "amount": "-1.00", "reverses": "S-1", "subscriber_code": "0104410204"},
]
STORED_PAYMENTS = [payment_row("S-1"), payment_row("S-2")]
BATCH_SIZES = [pytest.param(1, id="a batch per row"), pytest.param(10_000, id="one batch")]


def _outcome(
    engine: Engine, summary: FileSummary
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[int, str], tuple[int, ...]]:
    """The store, the rejects by row (0 = the first data row) without the line, the counts."""
    with Feed(summary.path, COLUMNS[summary.kind]) as feed:
        row_on_line = {record.line: index for index, record in enumerate(feed.records())}
        delimiter = feed.delimiter
    rejects: dict[int, str] = {}
    if summary.reject_path is not None:
        with summary.reject_path.open(encoding="utf-8", newline="") as handle:
            if summary.path.suffix == ".csv":
                messages = [row["error"] for row in csv.DictReader(handle, delimiter=delimiter)]
            else:
                messages = [json.loads(line)["error"] for line in handle]
        for message in messages:
            prefix, _, text = message.partition(": ")
            rejects[row_on_line[int(prefix.removeprefix("sətir "))]] = text
    counts = (summary.rows, summary.loaded, summary.unchanged, summary.updated, summary.rejected)
    warnings = tuple(sorted(summary.warnings.items()))
    return snapshot(engine), rejects, (*counts, *(count for _, count in warnings))


def _both_ways(
    tmp_path: Path,
    run_import: ImportFn,
    engine: Engine,
    kind: str,
    rows: list[dict[str, str]],
    batch_size: int,
    *,
    delimiter: str = ",",
    before: Any = None,
) -> tuple[Any, Any]:
    """Import ``rows`` as CSV, forget it, import them as JSON Lines: the two outcomes."""
    outcomes = []
    for name in ("rows.csv", "rows.jsonl"):
        with engine.begin() as db:
            for table in (import_batches, invoice_revisions, invoices, payments):
                db.execute(delete(table))
            if kind == "subscribers":
                db.execute(delete(subscribers))
        if before is not None:
            before()
        path = tmp_path / name
        if name.endswith(".csv"):
            write_csv(path, kind, rows, delimiter=delimiter)
        else:
            write_jsonl(path, rows)
        summary = run_import(kind, path, batch_size=batch_size)
        outcomes.append(_outcome(engine, summary))
    return outcomes[0], outcomes[1]


def _subscribers(tmp_path: Path, run_import: ImportFn, *codes: str) -> None:
    rows = [subscriber_row(code, holder_fin="5ZK3LRT") for code in codes]
    summary = run_import("subscribers", write_jsonl(tmp_path / "subscribers.jsonl", rows))
    assert summary.rejected == 0


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_subscriber_rows_of_every_shape_end_the_same_through_sql_or_the_rules(
    tmp_path: Path, run_import: ImportFn, engine: Engine, batch_size: int
) -> None:
    rows = [subscriber_row(f"0200{n:06d}") | case for n, case in enumerate(SUBSCRIBER_CASES)]
    by_csv, by_rules = _both_ways(tmp_path, run_import, engine, "subscribers", rows, batch_size)
    assert by_csv == by_rules
    store, rejects, _counts = by_csv
    # Some rows of each kind, or the comparison proves less than it claims.
    assert len(store["subscribers"]) >= 20
    assert len(rejects) >= 20


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_invoice_rows_of_every_shape_end_the_same_through_sql_or_the_rules(
    tmp_path: Path, run_import: ImportFn, engine: Engine, batch_size: int, delimiter: str
) -> None:
    _subscribers(tmp_path, run_import, "0104410203")
    rows = []
    # Each case on its own month, so that no two rows are the same invoice.
    for number, case in enumerate(INVOICE_CASES):
        year = 2019 + number // 12
        row = invoice_row(period=f"{year}-{number % 12 + 1:02d}", service="water")
        row.update({k: v.replace("{year}", str(year)) for k, v in case.items()})
        rows.append(row)
    for period, issued_on in PERIOD_CASES:
        rows.append(invoice_row(period=period, service="wastewater", issued_on=issued_on))
    # Five months in a row and then a spike, for the history the SQL brings back.
    rows += [invoice_row(period=f"2018-0{m}", service="wastewater") for m in range(1, 7)]
    rows.append(
        invoice_row(period="2018-07", service="wastewater", consumption_m3="40.000", amount="12.00")
    )
    by_csv, by_rules = _both_ways(
        tmp_path, run_import, engine, "invoices", rows, batch_size, delimiter=delimiter
    )
    assert by_csv == by_rules
    store, rejects, _counts = by_csv
    assert len(store["invoices"]) >= 25
    assert len(rejects) >= 30


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_payment_rows_of_every_shape_end_the_same_through_sql_or_the_rules(
    tmp_path: Path, run_import: ImportFn, engine: Engine, batch_size: int
) -> None:
    _subscribers(tmp_path, run_import, "0104410203", "0104410204")

    def stored() -> None:
        run_import("payments", write_jsonl(tmp_path / "stored.jsonl", STORED_PAYMENTS))

    rows = [payment_row(f"P-{n}") | case for n, case in enumerate(PAYMENT_CASES)]
    by_csv, by_rules = _both_ways(
        tmp_path, run_import, engine, "payments", rows, batch_size, before=stored
    )
    assert by_csv == by_rules
    _store, rejects, (_rows, loaded, unchanged, *_rest) = by_csv
    assert loaded >= 15
    assert unchanged >= 1
    assert len(rejects) >= 15


def test_a_reversal_in_a_batch_the_sql_took_counts_only_a_payment_before_it(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import, "0104410203")
    rows = [
        payment_row("P-1"),
        payment_row("R-1", amount="-7.00", reverses="P-1"),
        payment_row("R-2", amount="-7.00", reverses="P-3"),
        payment_row("P-3"),
    ]
    by_csv, by_rules = _both_ways(tmp_path, run_import, engine, "payments", rows, 100)
    assert by_csv == by_rules
    _store, rejects, (_rows, loaded, *_rest) = by_csv
    assert loaded == 3
    assert rejects == {
        2: "reverses: ləğv edilən ödəniş bu kanalda tapılmadı / "
        "the reversed payment is not found for this channel"
    }


def test_the_sql_path_and_the_rules_refuse_the_same_reversals(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import, "0104410203")
    rows = [
        payment_row("P-1", amount="5.00"),  # taken by the SQL on PostgreSQL
        payment_row("R-1", amount="-3.00", reverses="P-1"),
        payment_row("R-2", amount="-3.00", reverses="P-1"),
        payment_row("R-3", amount="-2.00", reverses="P-1"),
    ]
    by_csv, by_rules = _both_ways(tmp_path, run_import, engine, "payments", rows, 100)
    assert by_csv == by_rules
    _store, rejects, (_rows, loaded, *_rest) = by_csv
    assert loaded == 3
    assert list(rejects) == [2]
    assert rejects[2].startswith("amount: ödənişin ləğvləri onun məbləğindən çox ola bilməz")
