"""The PostgreSQL import casts rows of a plain shape in SQL and leaves the rest to the rules in
Python: whatever takes which path, every row ends exactly as the rules alone decide (and
``test_sql_path_parity.py`` holds the two paths together for every kind of feed)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.integration.ingest.conftest import NOW, ImportFn
from tests.support.factories.feeds import invoice_row, subscriber_row, write_csv
from waterbill.billing.tables import invoices
from waterbill.ingest.columns import INVOICE_COLUMNS
from waterbill.ingest.problems import Rejected
from waterbill.ingest.quality import invoice_warnings
from waterbill.ingest.rows import parse_invoice

# Each case on its own month, so that no two rows are the same invoice.
CASES: list[dict[str, str]] = [
    {},
    {"amount": "4,90"},
    {"consumption_m3": " 7.000"},
    {"subscriber_code": "010-441-0203"},
    {"subscriber_code": "0104410203 "},
    {"issued_on": "{year}-02-29"},
    {"issued_on": "{year}-04-31"},
    {"issued_on": "{year}-01-31"},
    {"issued_on": "{year}-04-30"},
    {"issued_on": "{year}-12-31"},
    {"issued_on": "{year}-01-15"},
    {"issued_on": "2026-11-27"},
    {"issued_on": "1949-12-31"},
    {"issued_on": "2026-1-5"},
    {"amount": "-3.00"},
    {"amount": "4.9"},
    {"amount": "4.901"},
    {"tariff": "0.70001"},
    {"tariff": "1234567.0"},
    {"consumption_m3": "1,234.5"},
    {"consumption_m3": "1e3"},
    {"consumption_m3": "-7"},
    {"consumption_m3": "NaN"},
    {"consumption_m3": "12345678901.5"},
    {"consumption_m3": "123456789012"},
    {"consumption_m3": "7.0005"},
    {"consumption_m3": ".5"},
    {"consumption_m3": "5."},
    {"tariff": "123456,7"},
    {"tariff": "0,7000"},
    {"amount": "123456789012,99"},
    {"amount": "1234567890123"},
    {"amount": "--1"},
    {"amount": "1,5,0"},
    {"amount": "-0.5"},
    {"subscriber_code": "12345678901234"},
    {"subscriber_code": "1234567890123"},
    {"invoice_no": "Ə-2026-1"},
    {"invoice_no": "x" * 32},
    {"invoice_no": "x" * 33},
    {"invoice_no": "a b"},
    {"previous_reading": "", "current_reading": "", "basis": "norm"},
    {"previous_reading": "", "current_reading": ""},
    {"previous_reading": ""},
    {"previous_reading": "110.000"},
    {"previous_reading": "100,5", "current_reading": "107,5"},
    {"service": "Water"},
    {"basis": " norm"},
    {"basis": "estimate", "amount": "9.99"},
    {"subscriber_code": "0999999999"},
    {"subscriber_code": "12345"},
    {"subscriber_code": "١٢٣٤٥٦٧"},
]
PERIOD_CASES: list[str] = ["2026-11", "2026-12", "1999-12", "2000-1", " 2026-10", "2026-13"]


def _rows() -> list[dict[str, str]]:
    rows = []
    for number, case in enumerate(CASES):
        year = 2020 + number // 12 if number // 12 != 1 else 2024
        period = f"{year}-{number % 12 + 1:02d}"
        row = invoice_row(period=period, service="water")
        row.update({k: v.replace("{year}", str(year)) for k, v in case.items()})
        if "issued_on" in case and not case["issued_on"].startswith("{year}"):
            row["period"] = row["issued_on"][:7] if len(row["issued_on"]) == 10 else period
        rows.append(row)
    for period in PERIOD_CASES:
        row = invoice_row(period=period, service="wastewater")
        row["issued_on"] = "2026-11-26"
        rows.append(row)
    return rows


# A batch per row lets every row PostgreSQL can cast take the SQL path (``ingest/bulk.py``);
# in one batch, a value it cannot cast sends them all to the rules.
@pytest.mark.parametrize("batch_size", [1, 20_000])
def test_rows_of_every_shape_end_as_the_rules_alone_decide_on_either_engine(
    tmp_path: Path, run_import: ImportFn, engine: Engine, batch_size: int
) -> None:
    subscribers = [subscriber_row("0104410203", holder_fin="5ZK3LRT")]
    run_import("subscribers", write_csv(tmp_path / "subscribers.csv", "subscribers", subscribers))
    rows = _rows()
    path = write_csv(tmp_path / "invoices.csv", "invoices", rows)
    summary = run_import("invoices", path, batch_size=batch_size)

    expected_rejects: dict[int, str] = {}
    expected_loaded: set[tuple[object, ...]] = set()
    expected_warnings = 0
    for line, row in enumerate(rows, start=2):
        values = {column: (row[column] or None) for column in INVOICE_COLUMNS}
        try:
            record = parse_invoice(values, code_length=(6, 13), now=NOW)
        except Rejected as error:
            expected_rejects[line] = "; ".join(problem.text() for problem in error.problems)
            continue
        if record.subscriber_code != "0104410203":
            expected_rejects[line] = "subscriber_code: belə abonent kodu yoxdur"
            continue
        expected_warnings += len(invoice_warnings(record))
        expected_loaded.add(
            (
                record.period,
                record.invoice_no,
                record.previous_reading,
                record.current_reading,
                record.consumption_m3,
                record.tariff,
                record.amount,
                record.basis,
                record.issued_on,
            )
        )

    with (tmp_path / "invoices.csv.rejects").open(newline="", encoding="utf-8") as handle:
        rejected = {
            int(row["error"].split(":")[0].removeprefix("sətir ")): row["error"]
            for row in csv.DictReader(handle)
        }
    assert sorted(rejected) == sorted(expected_rejects)
    for line, message in expected_rejects.items():
        assert rejected[line].startswith(f"sətir {line}: {message}")
    with engine.connect() as db:
        loaded = {
            tuple(row)
            for row in db.execute(
                select(
                    invoices.c.period,
                    invoices.c.invoice_no,
                    invoices.c.previous_reading,
                    invoices.c.current_reading,
                    invoices.c.consumption_m3,
                    invoices.c.tariff,
                    invoices.c.amount,
                    invoices.c.basis,
                    invoices.c.issued_on,
                )
            )
        }
    assert loaded == expected_loaded
    # A spike compares with months already stored: with a batch per row, earlier rows are.
    row_warnings = {k: v for k, v in summary.warnings.items() if k != "consumption_spike"}
    assert sum(row_warnings.values()) == expected_warnings
    # Some rows of each kind, or the comparison above proves less than it claims.
    assert len(expected_loaded) >= 15
    assert len(expected_rejects) >= 15
    assert Decimal("4.90") in {row[6] for row in loaded}
