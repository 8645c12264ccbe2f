"""The bench's reference app answers, from one SQL statement, exactly the API's statement JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from bench.reference_app import statement_json
from sqlalchemy import Engine

from tests.support.factories.billing import add_invoice, add_payment, add_subscriber, recalculate
from waterbill.statement.schemas import StatementOut
from waterbill.statement.service import get_statement

AS_OF = date(2026, 11, 26)


async def _reference(url: str, code: str, as_of: date) -> Any:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        text = await statement_json(connection, code, as_of)
    return None if text is None else json.loads(text)


def test_the_reference_returns_the_apis_statement_for_the_same_rows(
    engine: Engine, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the reference app runs on psycopg's async API: PostgreSQL only")
    with engine.begin() as db:
        sid = add_subscriber(db, apartment=None, district="")
        add_invoice(db, sid, "2024-06", "water", "10.000")  # before the window: opening balance
        add_invoice(db, sid, "2025-12", "water", "7.000")
        add_invoice(db, sid, "2025-12", "wastewater", "7.000", basis="norm")
        recalculated = add_invoice(db, sid, "2026-03", "water", "9.000")
        recalculate(db, recalculated, amount="4.20", consumption="6.000")
        add_invoice(db, sid, "2026-11", "water", "3.500", basis="estimate")
        # 23:59 in Baku on 30 November is still November; 00:00 on 1 December is December.
        add_payment(db, sid, datetime(2025, 11, 30, 19, 59, tzinfo=UTC), "5.05")
        add_payment(db, sid, datetime(2025, 11, 30, 20, 0, tzinfo=UTC), "2.00")
        add_payment(db, sid, datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "7.00")
        add_payment(db, sid, datetime(2026, 11, 26, 20, 0, tzinfo=UTC), "1.00")  # after as_of
        add_subscriber(db, code="0104410299", holder_fin="5ZK3LR9", category="non_population")
    with engine.connect() as db:
        statement = get_statement(db=db, code="0104410203", as_of=AS_OF)
    expected = json.loads(StatementOut.from_statement(statement).model_dump_json())

    found = asyncio.run(_reference(database_url, "0104410203", AS_OF))

    assert found == expected
    assert found["months"][3]["recalculated"] is True  # the test covers the revision branch
    assert asyncio.run(_reference(database_url, "999999999", AS_OF)) is None
    assert asyncio.run(_reference(database_url, "0104410299", AS_OF)) is None  # not a household
