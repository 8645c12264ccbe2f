"""The statement computed from the real store, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tests.support.factories.billing import add_invoice, add_payment, add_subscriber, recalculate
from waterbill.errors import MalformedCode, NotHousehold, UnknownCode
from waterbill.statement.repository import codes_held_by
from waterbill.statement.service import get_statement

AS_OF = date(2026, 11, 26)


def test_statement_sums_to_the_qepik_with_history_before_the_window(engine: Engine) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        # Before the window (which starts 2025-12): opening balance comes from here.
        add_invoice(db, sid, "2024-06", "water", "10.000")  # 7.00
        add_invoice(db, sid, "2025-11", "wastewater", "10.333")  # 3.10
        add_payment(db, sid, datetime(2025, 11, 30, 19, 59, tzinfo=UTC), "5.05")  # Baku 23:59
        # In the window.
        add_invoice(db, sid, "2025-12", "water", "7.000")  # 4.90
        add_invoice(db, sid, "2025-12", "wastewater", "7.000")  # 2.10
        add_payment(db, sid, datetime(2025, 11, 30, 20, 0, tzinfo=UTC), "7.00")  # Baku 1 Dec
    with engine.connect() as db:
        statement = get_statement(db=db, code="010-441 0203", as_of=AS_OF)

    assert statement.opening_balance == Decimal("5.05")  # 7.00 + 3.10 - 5.05
    first = statement.months[0]
    assert str(first.period) == "2025-12"
    assert first.invoiced == Decimal("7.00")
    assert first.paid == Decimal("7.00")
    assert first.consumption_m3 == Decimal("14.000")
    assert statement.totals.invoiced == Decimal("7.00")
    assert statement.closing_balance == Decimal("5.05")
    assert statement.balance_kind == "debt"
    assert str(statement.reporting_period) == "2025-12"


def test_a_recalculated_month_shows_the_amount_before(engine: Engine) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        invoice_id = add_invoice(db, sid, "2026-09", "water", "12.000", basis="estimate")  # 8.40
        recalculate(db, invoice_id, amount="6.30", consumption="9.000")
    with engine.connect() as db:
        month = get_statement(db=db, code="0104410203", as_of=AS_OF).months[-3]
    assert str(month.period) == "2026-09"
    assert month.recalculated
    assert month.amount_before_recalculation == Decimal("8.40")
    assert month.invoiced == Decimal("6.30")
    assert not month.estimated


def test_payments_after_the_as_of_day_are_not_shown(engine: Engine) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        add_payment(db, sid, datetime(2026, 11, 26, 19, 59, tzinfo=UTC), "1.00")
        add_payment(db, sid, datetime(2026, 11, 26, 20, 0, tzinfo=UTC), "2.00")  # 27 Nov in Baku
    with engine.connect() as db:
        statement = get_statement(db=db, code="0104410203", as_of=AS_OF)
    assert statement.months[-1].paid == Decimal("1.00")
    assert statement.balance_kind == "advance"


def test_each_refusal_has_its_own_error(engine: Engine) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="5550001111", category="non_population", holder_fin="7ABCD12")
    with engine.connect() as db:
        with pytest.raises(MalformedCode):
            get_statement(db=db, code="12AB34", as_of=AS_OF)
        with pytest.raises(UnknownCode):
            get_statement(db=db, code="9999999999", as_of=AS_OF)
        with pytest.raises(NotHousehold):
            get_statement(db=db, code="5550001111", as_of=AS_OF)


def test_codes_held_by_lists_only_the_citizens_own_accounts(engine: Engine) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="0000000002", holder_fin="5ZK3LRT")
        add_subscriber(db, code="0000000001", holder_fin="5ZK3LRT")
        add_subscriber(db, code="0000000003", holder_fin="9XY2ABC")
    with engine.connect() as db:
        assert codes_held_by(db, "5ZK3LRT") == ["0000000001", "0000000002"]
