"""Fixtures for importing real files into the real store, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.ingest.columns import Kind
from waterbill.ingest.imports import FileSummary, import_file

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


ImportFn = Callable[..., FileSummary]


@pytest.fixture
def run_import(database: Database, tmp_path: Path) -> ImportFn:
    def run(kind: Kind, path: Path, **options: Any) -> FileSummary:
        options.setdefault("now", NOW)
        summary = import_file(
            database=database,
            kind=kind,
            path=path,
            rejects_path=tmp_path / f"{path.name}.rejects",
            **options,
        )
        assert summary.balanced, summary
        return summary

    return run


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The store's content without surrogate ids and clock times, for comparing two imports."""
    with engine.connect() as db:
        codes = dict(db.execute(select(subscribers.c.id, subscribers.c.code)).all())
        invoice_keys = {
            row.id: (codes[row.subscriber_id], row.period, row.service)
            for row in db.execute(select(invoices))
        }
        return {
            "subscribers": sorted(
                tuple(v for k, v in row._mapping.items() if k not in {"id", "updated_at"})
                for row in db.execute(select(subscribers))
            ),
            "invoices": sorted(
                (codes[row.subscriber_id], *row[2:-1]) for row in db.execute(select(invoices))
            ),
            "invoice_revisions": sorted(
                (invoice_keys[row.invoice_id], *row[2:-1])
                for row in db.execute(select(invoice_revisions))
            ),
            "payments": sorted(
                (
                    row.channel,
                    row.payment_id,
                    codes[row.subscriber_id],
                    row.paid_at,
                    row.amount,
                    row.reverses,
                )
                for row in db.execute(select(payments))
            ),
        }
