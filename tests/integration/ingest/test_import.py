"""Importing billing feeds into the real store: every row accounted for, on both engines."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from tests.integration.ingest.conftest import ImportFn, snapshot
from tests.support.factories.feeds import (
    DAMAGES,
    cut_gzip,
    damage_gzip,
    invoice_row,
    payment_row,
    subscriber_row,
    write_csv,
    write_jsonl,
)
from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.cli import main
from waterbill.ingest.formats import FeedError
from waterbill.ingest.imports import PartlyImported
from waterbill.ingest.tables import import_batches
from waterbill.statement.service import get_statement

AS_OF = date(2026, 11, 26)


def _subscribers(tmp_path: Path, run_import: ImportFn, *codes: str) -> None:
    rows = [subscriber_row(code, holder_fin="5ZK3LRT") for code in codes or ("0104410203",)]
    summary = run_import(
        "subscribers", write_csv(tmp_path / "subscribers.csv", "subscribers", rows)
    )
    assert summary.rejected == 0


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as db:
        return int(db.scalar(select(func.count()).select_from(table)))  # type: ignore[arg-type]


def _tricky_rows() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """A street with the delimiter, quotes and a line break inside: RFC 4180 quoting's work."""
    subscriber = subscriber_row(street='Füzuli küç.; "Dalan" 3,\nblok B')
    invoice_list = [
        invoice_row(period="2026-08", consumption_m3="6.500", amount="4.55"),
        invoice_row(period="2026-08", service="wastewater", consumption_m3="6.500", amount="1.95"),
    ]
    return [subscriber], invoice_list


DIALECTS = {
    "comma, point, LF": dict(delimiter=","),
    "semicolon, decimal comma, CRLF": dict(delimiter=";", decimal_comma=True, crlf=True),
    "comma, decimal comma quoted, BOM": dict(delimiter=",", decimal_comma=True, bom=True),
    "semicolon, BOM, CRLF, gzip": dict(delimiter=";", bom=True, crlf=True, suffix=".csv.gz"),
    "JSON Lines": dict(jsonl=True, suffix=".jsonl"),
    "JSON Lines, gzip": dict(jsonl=True, suffix=".jsonl.gz"),
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_of_the_feed_loads_the_same_data(
    dialect: str, tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    options = dict(DIALECTS[dialect])
    suffix = str(options.pop("suffix", ".csv"))
    jsonl = bool(options.pop("jsonl", False))
    subscriber_rows, invoice_rows = _tricky_rows()

    def write(kind: str, rows: list[dict[str, str]]) -> Path:
        path = tmp_path / f"{kind}{suffix}"
        return write_jsonl(path, rows) if jsonl else write_csv(path, kind, rows, **options)  # type: ignore[arg-type]

    assert run_import("subscribers", write("subscribers", subscriber_rows)).loaded == 1
    summary = run_import("invoices", write("invoices", invoice_rows))
    assert (summary.rows, summary.loaded, summary.rejected) == (2, 2, 0)

    with engine.connect() as db:
        street = db.scalar(select(subscribers.c.street))
        amounts = sorted(db.scalars(select(invoices.c.amount)))
        consumption = set(db.scalars(select(invoices.c.consumption_m3)))
    assert street == 'Füzuli küç.; "Dalan" 3,\nblok B'
    assert amounts == [Decimal("1.95"), Decimal("4.55")]
    assert consumption == {Decimal("6.500")}


def test_a_rejected_row_is_reported_with_its_line_and_column_and_written_back(
    tmp_path: Path, run_import: ImportFn
) -> None:
    _subscribers(tmp_path, run_import)
    rows = [
        invoice_row(period="2026-07"),
        # A quoted line break makes the next row start two lines further down.
        invoice_row(period="2026-08", invoice_no="A\nB", amount="4,9x"),
        invoice_row(period="2026-09"),
    ]
    path = write_csv(tmp_path / "invoices.csv", "invoices", rows, delimiter=";")
    summary = run_import("invoices", path)

    assert (summary.rows, summary.loaded, summary.rejected) == (3, 2, 1)
    reject_file = tmp_path / "invoices.csv.rejects"
    assert summary.reject_path == reject_file
    text = reject_file.read_text(encoding="utf-8")
    header, rejected = text.split("\n", 1)
    assert header.endswith(";error")
    assert rejected.startswith('"A\nB";0104410203;2026-08;')
    assert "sətir 3: amount: «4,9x» rəqəm deyil / '4,9x' is not a number" in rejected


def test_a_reject_file_cell_that_would_run_as_a_formula_is_written_as_text(
    tmp_path: Path, run_import: ImportFn
) -> None:
    rows = [subscriber_row(surname='=HYPERLINK("http://evil.example","x")', persons_served="-1")]
    summary = run_import("subscribers", write_csv(tmp_path / "s.csv", "subscribers", rows))

    assert summary.rejected == 1
    assert summary.reject_path is not None
    with summary.reject_path.open(encoding="utf-8", newline="") as handle:
        (rejected,) = csv.DictReader(handle)
    assert rejected["surname"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rejected["persons_served"] == "-1"  # a plain number stays a number
    assert rejected["error"].startswith("sətir 2: persons_served")


REJECT_REASONS = {
    "missing value": ({"amount": ""}, "amount: dəyər boşdur"),
    "not a number": ({"consumption_m3": "yeddi"}, "consumption_m3: «yeddi» rəqəm deyil"),
    "too many decimals": ({"amount": "4.905"}, "amount: vergüldən sonra ən çox 2 rəqəm"),
    "negative consumption": ({"consumption_m3": "-7"}, "consumption_m3: mənfi ola bilməz"),
    "bad enum": ({"service": "gas"}, "service: «gas» icazə verilən dəyər deyil"),
    "bad basis": ({"basis": "guess"}, "basis: «guess» icazə verilən dəyər deyil"),
    "bad period": ({"period": "2026-13"}, "period: «2026-13» YYYY-MM dövrü deyil"),
    "future period": ({"period": "2027-01"}, "period: dövr 2000-01 ilə cari ay arasında"),
    "bad date": ({"issued_on": "28.09.2026"}, "issued_on: «28.09.2026» YYYY-MM-DD tarixi deyil"),
    "issued before period": ({"issued_on": "2026-08-31"}, "issued_on: hesab dövrün başlanğıcından"),
    "malformed code": ({"subscriber_code": "01AB"}, "subscriber_code: abonent kodu 6–13 rəqəm"),
    "one reading only": ({"previous_reading": ""}, "previous_reading: sayğac göstəricilərinin"),
    "unknown subscriber": ({"subscriber_code": "0999999999"}, "subscriber_code: belə abonent"),
}


def test_a_meter_bill_exported_without_readings_loads_with_a_warning_and_counts_in_full(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    """Billing systems export readings apart; a wastewater line never has readings of its own."""
    _subscribers(tmp_path, run_import)
    no_readings = {"previous_reading": "", "current_reading": ""}
    rows = [
        invoice_row(period="2026-09", **no_readings),
        invoice_row(period="2026-09", service="wastewater", **no_readings),
        invoice_row(period="2026-10", service="wastewater", **no_readings),
        invoice_row(period="2026-10"),
    ]
    summary = run_import("invoices", write_csv(tmp_path / "invoices.csv", "invoices", rows))

    assert (summary.rows, summary.loaded, summary.rejected) == (4, 4, 0)
    assert summary.warnings["readings_missing"] == 1
    with engine.connect() as db:
        statement = get_statement(db=db, code="0104410203", as_of=AS_OF)
    months = {str(month.period): month for month in statement.months}
    assert months["2026-09"].invoiced == Decimal("7.00")
    assert months["2026-10"].invoiced == Decimal("7.00")


def test_readings_that_are_given_are_still_checked(tmp_path: Path, run_import: ImportFn) -> None:
    _subscribers(tmp_path, run_import)
    rows = [invoice_row(current_reading=""), invoice_row(period="2026-10", previous_reading="")]
    summary = run_import("invoices", write_csv(tmp_path / "invoices.csv", "invoices", rows))
    assert (summary.loaded, summary.rejected) == (0, 2)


def test_an_estimate_may_carry_the_last_reading_without_a_new_one(
    tmp_path: Path, run_import: ImportFn
) -> None:
    _subscribers(tmp_path, run_import)
    estimate = invoice_row(current_reading="", basis="estimate")
    path = write_csv(tmp_path / "invoices.csv", "invoices", [estimate])
    summary = run_import("invoices", path)
    assert (summary.rejected, summary.loaded) == (0, 1)


@pytest.mark.parametrize("reason", REJECT_REASONS)
def test_each_invoice_reject_reason_has_its_own_message(
    reason: str, tmp_path: Path, run_import: ImportFn
) -> None:
    _subscribers(tmp_path, run_import)
    overrides, message = REJECT_REASONS[reason]
    path = write_csv(
        tmp_path / "invoices.csv", "invoices", [invoice_row(), invoice_row(**overrides)]
    )
    summary = run_import("invoices", path)
    assert summary.rejected == 1
    assert summary.reject_examples[0].startswith("sətir 3: ")
    assert message in summary.reject_examples[0]


SUBSCRIBER_REASONS = {
    "FIN with the letter O": ({"holder_fin": "5ZK3LRO"}, "holder_fin: FİN 7 simvoldur"),
    "boolean": ({"water_service": "bəli"}, "water_service: «bəli» 1, 0, true və ya false"),
    "persons out of range": ({"persons_served": "1000"}, "persons_served: 0–999 aralığında"),
    "meter type": ({"meter_type": "digital"}, "meter_type: «digital» icazə verilən dəyər deyil"),
    "too long": ({"building": "1" * 21}, "building: ən çox 20 simvol"),
    "future opening": ({"opened_on": "2030-01-01"}, "opened_on: tarix keçmişdə olmalıdır"),
}


@pytest.mark.parametrize("reason", SUBSCRIBER_REASONS)
def test_each_subscriber_reject_reason_has_its_own_message(
    reason: str, tmp_path: Path, run_import: ImportFn
) -> None:
    overrides, message = SUBSCRIBER_REASONS[reason]
    rows = [subscriber_row("0104410203"), subscriber_row("0104410204", **overrides)]
    summary = run_import("subscribers", write_csv(tmp_path / "s.csv", "subscribers", rows))
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert message in summary.reject_examples[0]


def test_a_line_with_the_wrong_number_of_cells_is_rejected_not_guessed(
    tmp_path: Path, run_import: ImportFn
) -> None:
    path = tmp_path / "s.csv"
    write_csv(path, "subscribers", [subscriber_row()])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("0104410204,5ZK3LRT,only three\n")
    summary = run_import("subscribers", path)
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert "sətir 3: *: 20 sütun gözlənilirdi, 3 var" in summary.reject_examples[0]


def test_a_file_without_a_required_column_is_refused_as_a_whole(
    tmp_path: Path, run_import: ImportFn
) -> None:
    columns = [c for c in invoice_row() if c != "amount"]
    path = write_csv(tmp_path / "i.csv", "invoices", [invoice_row()], columns=columns)
    with pytest.raises(FeedError, match="başlıqda sütun yoxdur: amount"):
        run_import("invoices", path)


def test_importing_the_same_file_twice_changes_nothing(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    path = write_csv(
        tmp_path / "i.csv",
        "invoices",
        [invoice_row(period="2026-08"), invoice_row(period="2026-09"), invoice_row(period="x")],
    )
    first = run_import("invoices", path)
    before = snapshot(engine)
    second = run_import("invoices", path)
    assert (first.loaded, first.rejected) == (2, 1)
    assert (second.loaded, second.unchanged, second.updated, second.rejected) == (0, 2, 0, 1)
    assert snapshot(engine) == before


def test_exact_duplicates_in_another_file_are_counted_unchanged(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    run_import("invoices", write_csv(tmp_path / "a.csv", "invoices", [invoice_row()]))
    again = write_csv(tmp_path / "b.csv", "invoices", [invoice_row(), invoice_row()], delimiter=";")
    summary = run_import("invoices", again)
    assert (summary.rows, summary.loaded, summary.unchanged, summary.updated) == (2, 0, 2, 0)
    assert _count(engine, invoices) == 1
    assert _count(engine, invoice_revisions) == 0


def test_a_recalculation_makes_the_new_figures_current_and_keeps_the_old_as_a_revision(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    estimate = invoice_row(
        period="2026-09",
        basis="estimate",
        previous_reading="",
        current_reading="",
        consumption_m3="12.000",
        amount="8.40",
    )
    actual = invoice_row(
        period="2026-09", consumption_m3="9.000", current_reading="109.000", amount="6.30"
    )
    run_import("invoices", write_csv(tmp_path / "a.csv", "invoices", [estimate]))
    summary = run_import("invoices", write_csv(tmp_path / "b.csv", "invoices", [actual]))
    assert (summary.loaded, summary.updated) == (0, 1)

    with engine.connect() as db:
        current = db.execute(select(invoices)).one()
        revision = db.execute(select(invoice_revisions)).one()
        month = get_statement(db=db, code="0104410203", as_of=AS_OF).months[-3]
    assert (current.amount, current.basis) == (Decimal("6.30"), "meter")
    assert (revision.amount, revision.basis, revision.consumption_m3) == (
        Decimal("8.40"),
        "estimate",
        Decimal("12.000"),
    )
    assert revision.invoice_id == current.id
    assert month.recalculated
    assert month.amount_before_recalculation == Decimal("8.40")


def test_the_same_invoice_twice_in_one_file_is_loaded_then_recalculated_in_order(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    rows = [
        invoice_row(amount="4.90"),
        invoice_row(amount="5.60", consumption_m3="8.000", current_reading="108.000"),
    ]
    summary = run_import("invoices", write_csv(tmp_path / "i.csv", "invoices", rows))
    assert (summary.loaded, summary.updated, summary.batches) == (1, 1, 2)
    with engine.connect() as db:
        assert db.scalar(select(invoices.c.amount)) == Decimal("5.60")
        assert db.scalar(select(invoice_revisions.c.amount)) == Decimal("4.90")


def test_subscriber_codes_are_normalised_and_changes_update_the_subscriber(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    run_import("subscribers", write_csv(tmp_path / "a.csv", "subscribers", [subscriber_row()]))
    moved = subscriber_row("010-441 0203", apartment="", street="Nizami küç.")
    summary = run_import("subscribers", write_csv(tmp_path / "b.csv", "subscribers", [moved]))
    assert (summary.loaded, summary.updated) == (0, 1)
    with engine.connect() as db:
        row = db.execute(select(subscribers)).one()
    assert (row.code, row.street, row.apartment) == ("0104410203", "Nizami küç.", None)


def test_payments_load_once_and_a_payment_id_with_other_content_is_a_conflict(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    run_import("payments", write_csv(tmp_path / "a.csv", "payments", [payment_row("P-1")]))
    rows = [payment_row("P-1"), payment_row("P-1", amount="70.00", channel="kapitalbank")]
    summary = run_import("payments", write_csv(tmp_path / "b.csv", "payments", rows))

    assert (summary.rows, summary.unchanged, summary.rejected) == (2, 1, 1)
    assert "payment_id: bu ödəniş nömrəsi artıq başqa məlumatla" in summary.reject_examples[0]
    with engine.connect() as db:
        assert list(db.scalars(select(payments.c.amount))) == [Decimal("7.00")]


def test_the_same_payment_id_on_another_channel_is_another_payment(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    rows = [payment_row("P-1"), payment_row("P-1", channel="azerpost")]
    summary = run_import("payments", write_csv(tmp_path / "p.csv", "payments", rows))
    assert summary.loaded == 2
    assert _count(engine, payments) == 2


def test_a_reversal_names_a_payment_of_the_same_channel_in_the_file_or_the_store(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import, "0104410203", "0104410204")
    run_import("payments", write_csv(tmp_path / "a.csv", "payments", [payment_row("P-1")]))
    rows = [
        payment_row("P-2", amount="5.00"),
        payment_row("R-2", amount="-5.00", reverses="P-2"),  # reverses a payment of this file
        payment_row("R-1", amount="-7.00", reverses="P-1"),  # reverses a stored payment
        payment_row("R-9", amount="-1.00", reverses="P-9"),  # no such payment
        payment_row("R-3", amount="-1.00", reverses="P-1", channel="azerpost"),  # other channel
        payment_row("R-4", amount="-1.00", reverses="P-1", subscriber_code="0104410204"),
        payment_row("R-5", amount="-9.00", reverses="P-2"),  # more than was paid
        payment_row("R-6", amount="5.00", reverses="P-2"),  # a reversal is negative
        payment_row("P-7", amount="-5.00"),  # a negative payment must name what it reverses
        payment_row("P-8", amount="0.00"),
    ]
    summary = run_import("payments", write_csv(tmp_path / "b.csv", "payments", rows))

    assert (summary.loaded, summary.rejected) == (3, 7)
    messages = "\n".join(summary.reject_examples)
    assert "sətir 5: reverses: ləğv edilən ödəniş bu kanalda tapılmadı" in messages
    assert "sətir 6: reverses: ləğv edilən ödəniş bu kanalda tapılmadı" in messages
    assert "sətir 7: reverses: ləğv edilən ödəniş başqa abonentindir" in messages
    assert "sətir 8: amount: ödənişin ləğvləri onun məbləğindən çox ola bilməz" in messages
    assert "sətir 9: amount: ləğv edən ödənişin məbləği mənfi olmalıdır" in messages
    assert "sətir 10: amount: məbləğ müsbət olmalıdır" in messages
    assert "sətir 11: amount: məbləğ müsbət olmalıdır" in messages
    with engine.connect() as db:
        total = db.scalar(select(func.sum(payments.c.amount)))
    assert Decimal(str(total)) == Decimal("0.00")


def test_payment_rows_for_unknown_subscribers_or_in_the_future_are_rejected(
    tmp_path: Path, run_import: ImportFn
) -> None:
    _subscribers(tmp_path, run_import)
    rows = [
        payment_row("P-1", code="0999999999"),
        payment_row("P-2", paid_at="2026-11-26T15:00:00+04:00"),  # 11:00 UTC, after NOW + skew
        payment_row("P-3", paid_at="26.10.2026 10:00"),
    ]
    summary = run_import("payments", write_csv(tmp_path / "p.csv", "payments", rows))
    assert summary.rejected == 3
    assert "subscriber_code: belə abonent kodu yoxdur" in summary.reject_examples[0]
    assert "paid_at: ödəniş vaxtı gələcəkdə ola bilməz" in summary.reject_examples[1]
    assert "paid_at: «26.10.2026 10:00» ISO 8601" in summary.reject_examples[2]


def test_a_payment_time_without_an_offset_is_baku_time(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    _subscribers(tmp_path, run_import)
    rows = [
        payment_row("P-1", paid_at="2026-11-01T00:30:00"),
        payment_row("P-2", paid_at="2026-10-31T20:30:00Z"),
    ]
    run_import("payments", write_jsonl(tmp_path / "p.jsonl", rows))
    with engine.connect() as db:
        instants = sorted(db.scalars(select(payments.c.paid_at)))
        statement = get_statement(db=db, code="0104410203", as_of=AS_OF)
    assert instants == [
        datetime(2026, 10, 31, 20, 30, tzinfo=UTC),
        datetime(2026, 10, 31, 20, 30, tzinfo=UTC),
    ]
    assert statement.months[-1].paid == Decimal("14.00")  # both are in November in Baku


def test_data_quality_findings_are_warnings_and_the_rows_still_load(
    tmp_path: Path, run_import: ImportFn
) -> None:
    _subscribers(tmp_path, run_import)
    history = [
        invoice_row(period=f"2026-0{m}", basis="estimate", previous_reading="", current_reading="")
        for m in range(1, 6)
    ]
    run_import("invoices", write_csv(tmp_path / "a.csv", "invoices", history))
    rows = [
        invoice_row(period="2026-06", amount="5.90"),  # 7 × 0.70 = 4.90
        invoice_row(period="2026-07", previous_reading="107.000", current_reading="100.000"),
        invoice_row(
            period="2026-08", consumption_m3="30.000", amount="21.00", current_reading="130.000"
        ),  # median of earlier months: 7
    ]
    summary = run_import("invoices", write_csv(tmp_path / "b.csv", "invoices", rows))
    assert (summary.loaded, summary.rejected) == (3, 0)
    assert dict(summary.warnings) == {
        "amount_mismatch": 1,
        "reading_decreased": 1,
        "consumption_spike": 1,
    }
    assert any(w.startswith("sətir 2, amount: məbləğ") for w in summary.warning_examples)
    assert any(w.startswith("sətir 4, consumption_m3:") for w in summary.warning_examples)


def test_a_file_larger_than_a_batch_loads_in_several_transactions(
    tmp_path: Path, run_import: ImportFn, engine: Engine
) -> None:
    codes = [f"01000{n:05d}" for n in range(250)]
    rows = [subscriber_row(code) for code in codes]
    summary = run_import(
        "subscribers", write_csv(tmp_path / "s.csv.gz", "subscribers", rows), batch_size=100
    )
    assert (summary.rows, summary.loaded, summary.batches) == (250, 250, 3)
    assert _count(engine, subscribers) == 250


def test_rejected_json_lines_are_written_back_as_json_lines_with_an_error_key(
    tmp_path: Path, run_import: ImportFn
) -> None:
    _subscribers(tmp_path, run_import)
    rows = [payment_row("P-1"), payment_row("P-2", amount="yeddi")]
    summary = run_import("payments", write_jsonl(tmp_path / "p.jsonl.gz", rows))
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert summary.reject_path is not None
    [rejected] = [
        json.loads(line) for line in summary.reject_path.read_text(encoding="utf-8").splitlines()
    ]
    assert rejected["payment_id"] == "P-2"
    assert rejected["error"].startswith("sətir 2: amount: «yeddi» rəqəm deyil")


class _Stopped(Exception):
    """A crash between two batches of an import."""


def _stop_after(batches: int) -> Callable[[int, int], None]:
    finished = count(1)

    def progress(_rows: int, _done: int) -> None:
        if next(finished) == batches:
            raise _Stopped

    return progress


def _invoices_with_rejects(tmp_path: Path, suffix: str) -> Path:
    codes = [f"03000{n:05d}" for n in range(30)]
    rows = [
        invoice_row(code, period, service)
        for period in ("2026-09", "2026-10")
        for code in codes
        for service in ("water", "wastewater")
    ]
    # A recalculation: a re-run that merged its original again would add a second revision.
    rows.insert(
        61,
        invoice_row(
            codes[0], "2026-09", amount="5.60", consumption_m3="8.000", current_reading="108.000"
        ),
    )
    for index in range(1, len(rows), 9):
        rows[index] = {**rows[index], "amount": "4,9x"}
    rows.append(invoice_row("0399999999", "2026-10"))  # no such subscriber
    path = tmp_path / f"invoices{suffix}"
    return (
        write_jsonl(path, rows)
        if suffix.startswith(".jsonl")
        else write_csv(path, "invoices", rows)
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize(("first", "then"), [(50, 7), (7, 50), (50, 1000)])
@pytest.mark.parametrize("stopped_after", [2, None])
def test_a_file_run_again_with_another_batch_size_ends_as_one_run(
    tmp_path: Path,
    run_import: ImportFn,
    engine: Engine,
    suffix: str,
    first: int,
    then: int,
    stopped_after: int | None,
) -> None:
    _subscribers(tmp_path, run_import, *(f"03000{n:05d}" for n in range(30)))
    path = _invoices_with_rejects(tmp_path, suffix)
    rejects = tmp_path / f"{path.name}.rejects"
    one_run = run_import("invoices", path)
    one_run_store, one_run_rejects = snapshot(engine), rejects.read_bytes()
    with engine.begin() as db:
        for table in (import_batches, invoice_revisions, invoices):
            db.execute(table.delete())

    if stopped_after is None:
        run_import("invoices", path, batch_size=first)
    else:
        with pytest.raises(_Stopped):
            run_import("invoices", path, batch_size=first, progress=_stop_after(stopped_after))
    again = run_import("invoices", path, batch_size=then)

    assert snapshot(engine) == one_run_store
    assert rejects.read_bytes() == one_run_rejects
    assert (again.rows, again.rejected) == (one_run.rows, one_run.rejected) == (122, 15)
    assert again.reject_examples == one_run.reject_examples
    assert again.loaded + again.updated + again.unchanged == one_run.loaded + one_run.updated


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("suffix", [".csv.gz", ".jsonl.gz"])
def test_a_gzip_file_unreadable_from_its_first_line_is_refused_as_a_whole(
    tmp_path: Path, run_import: ImportFn, engine: Engine, damage: str, suffix: str
) -> None:
    rows = [subscriber_row()]
    path = tmp_path / f"s{suffix}"
    damage_gzip(
        write_jsonl(path, rows) if suffix == ".jsonl.gz" else write_csv(path, "subscribers", rows),
        damage,
    )
    with pytest.raises(
        FeedError, match="sətir 1 və ondan sonrakılar oxunmur / the file is damaged"
    ) as raised:
        run_import("subscribers", path)
    assert not isinstance(raised.value, PartlyImported), "nothing was imported"
    assert _count(engine, subscribers) == 0


def _subscribers_with_rejects() -> list[dict[str, str]]:
    rows = [subscriber_row(f"04000{n:05d}") for n in range(40)]
    for index in range(3, 40, 8):
        rows[index] = {**rows[index], "persons_served": "-1"}
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    return (
        write_jsonl(path, rows)
        if ".jsonl" in path.suffixes
        else write_csv(path, "subscribers", rows)
    )


@pytest.mark.parametrize("suffix", [".csv.gz", ".jsonl.gz"])
@pytest.mark.parametrize(("batch_size", "then"), [(1000, 7), (7, 1), (1, 1000)])
def test_a_gzip_file_cut_short_part_way_keeps_the_rows_before_and_names_the_line_it_breaks_at(
    tmp_path: Path, run_import: ImportFn, engine: Engine, suffix: str, batch_size: int, then: int
) -> None:
    rows = _subscribers_with_rejects()
    # The 21 rows before the break, as a whole file of their own.
    whole = run_import("subscribers", _write(tmp_path / f"whole{suffix}", rows[:21]))
    whole_store = snapshot(engine)
    whole_rejects = (tmp_path / f"whole{suffix}.rejects").read_bytes()
    with engine.begin() as db:
        for table in (import_batches, subscribers):
            db.execute(table.delete())
    header = 1 if suffix == ".csv.gz" else 0
    path = cut_gzip(_write(tmp_path / f"cut{suffix}", rows), header + 22)

    for size in (batch_size, then):  # and run again, as one would before fixing the file
        with pytest.raises(PartlyImported) as raised:
            run_import("subscribers", path, batch_size=size)
        summary = raised.value.summary
        assert summary.balanced
        assert (summary.rows, summary.rejected) == (whole.rows, whole.rejected) == (21, 3)
        assert f"sətir {header + 22} və ondan sonrakılar oxunmur" in str(raised.value)
        assert snapshot(engine) == whole_store
        assert (tmp_path / f"cut{suffix}.rejects").read_bytes() == whole_rejects
    assert summary.reject_path == tmp_path / f"cut{suffix}.rejects"


def test_the_command_reports_what_a_file_cut_short_loaded_and_where_it_broke_off(
    tmp_path: Path, cli: CliRunner, engine: Engine
) -> None:
    path = cut_gzip(
        write_csv(tmp_path / "s.csv.gz", "subscribers", _subscribers_with_rejects()), 23
    )

    result = cli.invoke(main, ["import", "subscribers", str(path), "--batch-size", "5"])

    assert result.exit_code == 2, result.output
    assert "s.csv.gz: 21 sətir — yeni 18, dəyişməyən 0, yenilənib 0, rədd edilib 3" in result.output
    assert (
        f"{path}: fayl zədələnib və ya natamamdır: sətir 23 və ondan sonrakılar oxunmur / "
        "the file is damaged or incomplete: line 23 and those after it cannot be read"
    ) in result.output
    assert "s.rejects.csv" in result.output
    assert _count(engine, subscribers) == 18
