"""Bulk writes of demo rows: executemany on SQLite, COPY on PostgreSQL. No row-by-row inserts."""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, insert, select, text

from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.demo.generator import Chunk, Row

# Parents before children, so foreign keys hold inside the one transaction.
_TABLES: tuple[tuple[str, Table], ...] = (
    ("subscribers", subscribers),
    ("invoices", invoices),
    ("revisions", invoice_revisions),
    ("payments", payments),
)


def count_subscribers(db: Connection) -> int:
    return int(db.scalar(select(func.count()).select_from(subscribers)) or 0)


def write_chunk(db: Connection, chunk: Chunk) -> None:
    for attribute, table in _TABLES:
        rows: list[Row] = getattr(chunk, attribute)
        if not rows:
            continue
        if db.dialect.name == "postgresql":
            _copy(db, table, rows)
        else:
            db.execute(insert(table), rows)


def _copy(db: Connection, table: Table, rows: list[Row]) -> None:
    """COPY … FROM STDIN through psycopg 3: the fastest way into PostgreSQL."""
    names = [column.name for column in table.columns]
    raw = db.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])


def finish(db: Connection) -> None:
    """Explicit ids were written: move PostgreSQL's id sequences past them."""
    if db.dialect.name != "postgresql":
        return
    for _, table in _TABLES:
        db.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
