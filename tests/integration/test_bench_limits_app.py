"""The bench's hand-written single query returns the data the statement is built from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bench.limits_app import load, statement_query
from sqlalchemy import Engine

from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from waterbill.statement.service import get_statement

AS_OF = date(2026, 11, 26)


def test_the_single_query_finds_the_same_invoices_payments_and_balance(engine: Engine) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        add_invoice(db, sid, "2024-06", "water", "10.000")
        add_invoice(db, sid, "2025-12", "water", "7.000")
        add_invoice(db, sid, "2025-12", "wastewater", "7.000")
        add_payment(db, sid, datetime(2025, 11, 30, 19, 59, tzinfo=UTC), "5.05")
        add_payment(db, sid, datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "7.00")
    with engine.connect() as db:
        body = load(db, statement_query(), "0104410203", as_of=AS_OF)
        statement = get_statement(db=db, code="0104410203", as_of=AS_OF)

    assert body is not None
    assert Decimal(body["opening_balance"]) == statement.opening_balance
    invoiced = sum(Decimal(line["amount"]) for line in body["invoices"])
    assert invoiced == statement.totals.invoiced
    assert sum(Decimal(line["amount"]) for line in body["payments"]) == statement.totals.paid
    assert body["subscriber"]["code"] == statement.subscriber.code


def test_an_unknown_code_finds_nothing(engine: Engine) -> None:
    with engine.connect() as db:
        assert load(db, statement_query(), "999999999", as_of=AS_OF) is None
