"""Bulk writes of demo rows: executemany on SQLite, COPY on PostgreSQL. No row-by-row inserts.

On PostgreSQL the rows come as COPY text (``copytext``), formatted in the processes that generated
them. A load goes into empty tables only (the service checks), which allows three things a load
into live tables would not:

- the secondary indexes, unique constraints and foreign keys of the four tables are dropped for
  the load and rebuilt from their own catalog definitions before the transaction commits: a sort
  per index instead of a random B-tree insert per row, and one join per foreign key instead of a
  trigger query per row. The schema afterwards is the one before, by construction;
- invoices, revisions and payments are emptied again in the transaction and written with
  COPY FREEZE (see ``bulk_load``);
- invoice and payment ids come from the tables' own sequences, restarted at 1, so the rows of a
  shard can be formatted before the number of rows ahead of them is known. COPY numbers rows in
  the order it receives them, which is the order of a single run; the sequences are checked at
  the end, so a number taken by anyone else fails the load instead of shifting ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, exists, func, insert, or_, select, text

from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.demo.copytext import CopyText, revision_lines
from waterbill.demo.generator import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    REVISION_COLUMNS,
    SUBSCRIBER_COLUMNS,
    Chunk,
    typed_values,
)

# Parents before children, so foreign keys hold inside the one transaction; each with the
# generator's column order, which the COPY text follows.
_TABLES: tuple[tuple[str, Table, tuple[str, ...]], ...] = (
    ("subscribers", subscribers, SUBSCRIBER_COLUMNS),
    ("invoices", invoices, INVOICE_COLUMNS),
    ("revisions", invoice_revisions, REVISION_COLUMNS),
    ("payments", payments, PAYMENT_COLUMNS),
)
# Tables whose ids the load takes from their sequence (see the module docstring).
_NUMBERED_BY_SEQUENCE = ("invoices", "payments")
# Tables the load empties again and writes frozen (see ``bulk_load``); ``subscribers`` cannot be
# emptied without emptying the tables that refer to it, which a load must not touch.
_FROZEN = ("invoices", "revisions", "payments")


def count_subscribers(db: Connection) -> int:
    return int(db.scalar(select(func.count()).select_from(subscribers)) or 0)


def write_chunk(db: Connection, chunk: Chunk) -> None:
    """Insert a chunk with executemany (the SQLite path; PostgreSQL uses ``BulkLoad``).

    Each value goes through its column type's own bind processor, as ``db.execute(insert(...))``
    would do, but without building a dictionary and a parameter set per row.
    """
    for attribute, table, columns in _TABLES:
        rows: list[tuple[Any, ...]] = getattr(chunk, attribute)
        if not rows:
            continue
        steps = [
            _to_database(db, table.c[name], typed)
            for name, typed in zip(columns, typed_values(columns), strict=True)
        ]
        statement = insert(table).compile(dialect=db.dialect, column_keys=list(columns))
        db.exec_driver_sql(
            str(statement),
            [
                tuple(
                    value if step is None or value is None else step(value)
                    for step, value in zip(steps, row, strict=True)
                )
                for row in rows
            ],
        )


def _to_database(
    db: Connection, column: Column[Any], typed: Callable[[Any], object] | None
) -> Callable[[Any], Any] | None:
    """The row's value → the typed value → what the driver is given for this column."""
    bind = column.type.dialect_impl(db.dialect).bind_processor(db.dialect)
    if typed is None or bind is None:
        return typed or bind
    return lambda value: bind(typed(value))


# -- the PostgreSQL load -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Definition:
    table: str
    name: str
    kind: str  # "u" unique, "f" foreign key, "i" plain index
    definition: str

    def drop(self) -> str:
        if self.kind == "i":
            return f"DROP INDEX {self.name}"
        return f"ALTER TABLE {self.table} DROP CONSTRAINT {self.name}"

    def create(self) -> str:
        if self.kind == "i":
            return self.definition
        return f"ALTER TABLE {self.table} ADD CONSTRAINT {self.name} {self.definition}"


# Names come quoted from the catalog (regclass, quote_ident), so they are used as they are.
_DEFINITIONS = text(
    """
    SELECT c.conrelid::regclass::text, quote_ident(c.conname), c.contype::text,
           pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.conrelid = ANY(CAST(:tables AS regclass[])) AND c.contype IN ('u', 'f')
    UNION ALL
    SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i',
           pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT i.indisprimary
      AND NOT EXISTS (SELECT FROM pg_constraint c
                      WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
    """
)


class BulkLoad:
    """Streams shards into the four empty tables of one PostgreSQL transaction."""

    def __init__(self, db: Connection) -> None:
        self.db = db
        self.counts = {"subscribers": 0, "invoices": 0, "revisions": 0, "payments": 0}

    def write(self, shard: CopyText) -> None:
        revisions = revision_lines(
            shard.revisions, self.counts["revisions"], self.counts["invoices"]
        ).encode()
        for attribute, table, columns in _TABLES:
            data = revisions if attribute == "revisions" else getattr(shard, attribute)
            if data:
                if attribute in _NUMBERED_BY_SEQUENCE:
                    columns = columns[1:]  # the id, left to the sequence
                self._copy(table, columns, data, freeze=attribute in _FROZEN)
        for name, count in shard.counts.items():
            self.counts[name] += count

    def _copy(self, table: Table, columns: tuple[str, ...], data: bytes, *, freeze: bool) -> None:
        raw: Any = self.db.connection.driver_connection
        with raw.cursor() as cursor:
            options = " WITH (FREEZE)" if freeze else ""
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN{options}"
            with cursor.copy(statement) as copy:
                copy.write(data)

    def check_sequences(self) -> None:
        """Every number of the two sequences went to this load's rows, in order."""
        for attribute, table, _ in _TABLES:
            if attribute not in _NUMBERED_BY_SEQUENCE or not self.counts[attribute]:
                continue
            taken = self.db.scalar(
                text(f"SELECT last_value FROM {_sequence(self.db, table)}")  # noqa: S608
            )
            if taken != self.counts[attribute]:
                raise RuntimeError(
                    f"{table.name}: the id sequence moved during the load "
                    f"({taken} taken for {self.counts[attribute]} rows)"
                )


def _sequence(db: Connection, table: Table) -> str:
    name = db.scalar(text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')"))
    assert isinstance(name, str)
    return name


def lock_for_bulk_load(db: Connection) -> None:
    """Keep everyone else out of the four tables until the transaction ends (PostgreSQL)."""
    names = ", ".join(table.name for _, table, _ in _TABLES)
    db.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


@contextmanager
def bulk_load(db: Connection) -> Iterator[BulkLoad]:
    """Make the four tables ready for a fast load and restore their schema at the end.

    Only for tables that are empty and locked (``lock_for_bulk_load``): the caller has found no
    subscriber, and foreign keys then leave the other three tables empty too. A failure anywhere
    rolls the transaction back, dropped indexes and constraints with it.
    """
    names = [table.name for _, table, _ in _TABLES]
    definitions = [_Definition(*row) for row in db.execute(_DEFINITIONS, {"tables": names})]
    # Foreign keys first (they depend on the unique indexes), and back last.
    order = {"f": 0, "u": 1, "i": 2}
    for definition in sorted(definitions, key=lambda item: order[item.kind]):
        db.execute(text(definition.drop()))
    # Emptied again in this transaction, COPY may write their rows already frozen and marked
    # visible to all: less work for the load, and none left for the first VACUUM or the first
    # reads. With the foreign keys between them dropped, only they are emptied; they hold no row
    # (checked, as TRUNCATE would not say).
    frozen = [table for attribute, table, _ in _TABLES if attribute in _FROZEN]
    if db.scalar(select(or_(*(exists(table.select()) for table in frozen)))):
        raise RuntimeError("invoices or payments without subscribers: not loading")
    db.execute(text(f"TRUNCATE {', '.join(table.name for table in frozen)}"))
    for attribute, table, _ in _TABLES:
        if attribute in _NUMBERED_BY_SEQUENCE:
            db.execute(text(f"SELECT setval('{_sequence(db, table)}', 1, false)"))
    loader = BulkLoad(db)
    yield loader
    loader.check_sequences()
    for definition in sorted(definitions, key=lambda item: -order[item.kind]):
        db.execute(text(definition.create()))


def finish(db: Connection) -> None:
    """Explicit ids were written: move PostgreSQL's id sequences past them."""
    if db.dialect.name != "postgresql":
        return
    for _, table, _ in _TABLES:
        db.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
