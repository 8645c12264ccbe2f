"""One payment is taken back at most once in full: its reversals never exceed it, on both engines.

Counted over files, batches, the SQL path and the rules, the intake API and concurrent requests.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.ingest.conftest import NOW, ImportFn
from tests.support.factories.billing import add_subscriber
from tests.support.factories.feeds import payment_row, write_csv, write_jsonl
from waterbill.billing.tables import payments
from waterbill.ingest.intake import record_payment
from waterbill.ingest.problems import Rejected

PAID_AT = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)
EXCEEDS = "amount: ödənişin ləğvləri onun məbləğindən çox ola bilməz"


def _paid_total(engine: Engine) -> Decimal:
    with engine.connect() as db:
        return Decimal(str(db.scalar(select(func.coalesce(func.sum(payments.c.amount), 0)))))


def _reversal(db: object, payment_id: str, amount: str, reverses: str | None = "P-1") -> object:
    return record_payment(
        db=db,  # type: ignore[arg-type]
        channel="kapitalbank",
        payment_id=payment_id,
        subscriber_code="0104410203",
        paid_at=PAID_AT,
        amount=Decimal(amount),
        reverses=reverses,
        now=NOW,
    )


@pytest.fixture
def paid(engine: Engine) -> Engine:
    """A subscriber with one payment of 5.00 (P-1) through the intake."""
    with engine.begin() as db:
        add_subscriber(db)
        _reversal(db, "P-1", "5.00", reverses=None)
    return engine


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl"])
@pytest.mark.parametrize("batch_size", [1, 1000])
def test_reversals_in_files_never_take_back_more_than_the_payment(
    tmp_path: Path, run_import: ImportFn, paid: Engine, name: str, batch_size: int
) -> None:
    rows = [
        payment_row("P-2", amount="5.00"),
        payment_row("R-1", amount="-5.00", reverses="P-1"),  # P-1 in full
        payment_row("R-2", amount="-5.00", reverses="P-1"),  # P-1 a second time
        payment_row("R-3", amount="-2.50", reverses="P-2"),
        payment_row("R-4", amount="-2.50", reverses="P-2"),
        payment_row("R-5", amount="-2.50", reverses="P-2"),  # a third half of P-2
        payment_row("R-1", amount="-5.00", reverses="P-1"),  # a retry of R-1: unchanged
    ]
    path = tmp_path / name
    (write_csv(path, "payments", rows) if name.endswith(".csv") else write_jsonl(path, rows))
    summary = run_import("payments", path, batch_size=batch_size)

    assert (summary.loaded, summary.unchanged, summary.rejected) == (4, 1, 2)
    message = (
        f"{EXCEEDS}: ödənilib 5,00\xa0₼, artıq ləğv edilib 5,00\xa0₼ / the reversals of a payment "
        "cannot exceed it: paid AZN5.00, already reversed AZN5.00"
    )
    header = 1 if name.endswith(".csv") else 0
    assert summary.reject_examples == [
        f"sətir {3 + header}: {message}",
        f"sətir {6 + header}: {message}",
    ]
    assert summary.reject_path is not None
    assert summary.reject_path.read_text(encoding="utf-8").count("ləğvləri") == 2
    assert _paid_total(paid) == Decimal("0.00")

    # Another file later, and the intake: P-1 and P-2 are taken back in full already.
    more = [payment_row("R-9", amount="-0.01", reverses="P-2")]
    again = run_import("payments", write_csv(tmp_path / "later.csv", "payments", more))
    assert again.rejected == 1
    with paid.begin() as db, pytest.raises(Rejected) as refusal:
        _reversal(db, "R-10", "-0.01")
    assert refusal.value.first.code == "reversal_exceeds_payment"
    assert _paid_total(paid) == Decimal("0.00")


def test_two_reversals_of_one_payment_at_once_let_only_one_through(paid: Engine) -> None:
    """The second waits for the first to commit, then sees it, on either engine."""
    first = paid.connect()
    transaction = first.begin()
    _reversal(first, "R-1", "-5.00")
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with paid.begin() as db:
                outcome["result"] = _reversal(db, "R-2", "-5.00")
        except Rejected as refusal:
            outcome["result"] = refusal.first.code

    racing = threading.Thread(target=second)
    racing.start()
    racing.join(timeout=1.0)
    try:
        assert racing.is_alive(), "the second reversal did not wait for the first"
    finally:
        transaction.commit()
        first.close()
        racing.join(timeout=10)
    assert outcome["result"] == "reversal_exceeds_payment"
    assert _paid_total(paid) == Decimal("0.00")
