"""The COPY text of the demo rows says exactly what the rows say, in PostgreSQL's text format."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.demo.copytext import revision_lines, shard_copy_text, subscriber_lines
from waterbill.demo.generator import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    REVISION_COLUMNS,
    SUBSCRIBER_COLUMNS,
    DemoGenerator,
    DemoPlan,
    as_dicts,
    plan_shards,
)

PLAN = DemoPlan(
    subscribers=120, seed=4, months=24, as_of=date(2026, 11, 26), norm_m3_per_person=Decimal("3")
)


def as_copy_text(value: object) -> str:
    """How PostgreSQL's COPY text writes a value, from the value's own type."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        assert value.utcoffset() is not None
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00"
    if isinstance(value, date):
        return value.isoformat()
    assert isinstance(value, str | int | Decimal)
    return str(value)


def expected_lines(rows: list[dict[str, object]], columns: tuple[str, ...]) -> list[str]:
    return ["\t".join(as_copy_text(row[name]) for name in columns) for row in rows]


def test_each_table_s_lines_hold_the_values_of_its_rows_in_column_order() -> None:
    text = shard_copy_text(PLAN, next(plan_shards(PLAN, PLAN.subscribers)))
    rows = as_dicts(DemoGenerator(PLAN).whole())
    assert text.subscribers.decode().splitlines() == expected_lines(
        rows["subscribers"], SUBSCRIBER_COLUMNS
    )
    # Invoices and payments leave the id to the table's sequence.
    assert text.invoices.decode().splitlines() == expected_lines(
        rows["invoices"], INVOICE_COLUMNS[1:]
    )
    assert text.payments.decode().splitlines() == expected_lines(
        rows["payments"], PAYMENT_COLUMNS[1:]
    )
    assert rows["revisions"]
    assert revision_lines(text.revisions, 0, 0).splitlines() == expected_lines(
        rows["revisions"], REVISION_COLUMNS
    )
    assert text.counts == {name: len(part) for name, part in rows.items()}


def test_revisions_are_numbered_after_the_shards_before_them() -> None:
    text = shard_copy_text(PLAN, next(plan_shards(PLAN, PLAN.subscribers)))
    first = text.revisions[0]
    fields = revision_lines([first], 40, 1_000).split("\t")
    assert fields[:2] == [str(first[0] + 40), str(first[1] + 1_000)]


def test_text_fields_are_escaped_so_a_tab_or_backslash_in_a_name_stays_in_its_column() -> None:
    row = DemoGenerator(PLAN).whole().subscribers[0]
    odd = (*row[:3], "Əli\tyev", "Back\\slash", "line\nbreak", *row[6:])
    fields = subscriber_lines([odd]).rstrip("\n").split("\t")
    assert len(fields) == len(SUBSCRIBER_COLUMNS)
    assert fields[3:6] == ["Əli\\tyev", "Back\\\\slash", "line\\nbreak"]


def test_the_row_layouts_follow_their_tables_column_by_column() -> None:
    # COPY and the SQLite executemany pass values by position, in this order.
    layouts = {
        subscribers: SUBSCRIBER_COLUMNS,
        invoices: INVOICE_COLUMNS,
        invoice_revisions: REVISION_COLUMNS,
        payments: PAYMENT_COLUMNS,
    }
    for table, columns in layouts.items():
        assert tuple(column.name for column in table.columns) == columns, table.name
