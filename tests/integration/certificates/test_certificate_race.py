"""A certificate and a writer of the same account at the same moment, on SQLite and PostgreSQL.

Whatever commits first, a certificate is never issued for an account that is a debtor when the
certificate commits: a writer that got in first is counted (a refusal), and one that comes while
the certificate is being issued waits until it is committed. And how long a certificate holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlalchemy import Connection, Engine, select

from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from waterbill import clock
from waterbill.access.policy import pseudonym_of
from waterbill.auth.identity import Citizen
from waterbill.billing.tables import subscribers
from waterbill.calendar import YearMonth
from waterbill.certificates.service import (
    IssuedCertificate,
    certificate_standing,
    issue_certificate,
)
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.documents.service import verify_document
from waterbill.errors import DebtOutstanding
from waterbill.ingest.intake import record_payment
from waterbill.ingest.records import InvoiceRecord
from waterbill.ingest.repository import merge_invoices

CODE = "0104410203"
HOLDER = "5ZK3LRT"
# Long enough for a blocked thread to have finished were it not blocked; short for the suite.
BLOCKED = 0.4


@pytest.fixture
def database(engine: Engine, settings: Settings) -> Iterator[Database]:
    """A household that paid its one bill (7.00) two days ago: settled."""
    month = str(YearMonth.of(clock.today()).shift(-1))
    with engine.begin() as db:
        sid = add_subscriber(db, code=CODE, holder_fin=HOLDER)
        add_invoice(db, sid, month, "water", "10.000", invoice_no=f"INV-{month}")
        add_payment(db, sid, clock.now() - timedelta(days=2), "7.00", payment_id="P-1")
    database = Database(settings)
    yield database
    database.dispose()


def holder(settings: Settings) -> Citizen:
    return Citizen(
        fin=HOLDER,
        surname="Hüseynov",
        name="Qorxmaz",
        patronymic="Əli oğlu",
        auth_method="asan_imza",
        pseudonym=pseudonym_of(HOLDER, settings),
    )


def post(db: Connection, payment_id: str, amount: str, reverses: str | None = None) -> None:
    """The payment intake's writer. On SQLite, pysqlite commits at once the SAVEPOINT the intake
    uses (its RELEASE ends the transaction the SAVEPOINT began), so a plain insert stands in."""
    if db.dialect.name == "sqlite":
        sid = db.scalar(select(subscribers.c.id).where(subscribers.c.code == CODE))
        add_payment(db, sid, clock.now(), amount, payment_id=payment_id, reverses=reverses)
        return
    record_payment(
        db=db,
        channel="bank",
        payment_id=payment_id,
        subscriber_code=CODE,
        paid_at=clock.now(),
        amount=Decimal(amount),
        reverses=reverses,
    )


def reverse_the_payment(db: Connection) -> None:
    post(db, "R-1", "-7.00", reverses="P-1")


def pay_again(db: Connection) -> None:
    post(db, "P-2", "5.00")


def add_a_new_bill(db: Connection) -> None:
    """The importer's writer of a new invoice (this month's)."""
    merge_invoices(db, [_invoice(str(YearMonth.of(clock.today())), "8.40")], clock.now())


def recalculate_the_bill(db: Connection) -> None:
    """The importer's writer of a recalculation: last month's bill goes from 7.00 to 8.40."""
    month = str(YearMonth.of(clock.today()).shift(-1))
    merge_invoices(db, [_invoice(month, "8.40")], clock.now())


def _invoice(month: str, amount: str) -> tuple[int, InvoiceRecord, str]:
    record = InvoiceRecord(
        invoice_no=f"INV-{month}",
        subscriber_code=CODE,
        period=month,
        service="water",
        previous_reading=None,
        current_reading=None,
        consumption_m3=Decimal("12.000"),
        tariff=Decimal("0.70"),
        amount=Decimal(amount),
        basis="meter",
        issued_on=clock.today(),
    )
    return 1, record, str(YearMonth.parse(month).shift(-12))


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except Exception as error:  # the test inspects it
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def issue(database: Database, settings: Settings, render: Callable[..., bytes]) -> Any:
    return issue_certificate(
        database=database,
        viewer=holder(settings),
        code=CODE,
        channel="api",
        locale="az",
        render=render,
    )


def plain_pdf(_content: Mapping[str, Any], code: str) -> bytes:
    return f"%PDF-1.7 certificate {code}".encode()


@pytest.mark.parametrize("writer", [reverse_the_payment, add_a_new_bill, recalculate_the_bill])
def test_a_writer_that_got_in_first_is_counted_and_the_certificate_is_refused(
    engine: Engine, database: Database, settings: Settings, writer: Callable[[Connection], None]
) -> None:
    with engine.connect() as db:
        transaction = db.begin()
        writer(db)  # not committed yet: the account is about to be a debtor
        thread, outcome = in_thread(lambda: issue(database, settings, plain_pdf))
        thread.join(BLOCKED)
        assert thread.is_alive(), f"the certificate did not wait for the writer: {outcome}"
        transaction.commit()
    thread.join(10)
    assert isinstance(outcome.get("error"), DebtOutstanding), outcome
    assert outcome["error"].params["debt"] > 0


@pytest.mark.parametrize(
    ("writer", "afterwards", "standing"),
    [
        # The payment the certificate counted is reversed: it no longer holds.
        (reverse_the_payment, None, "debtor_since"),
        # A payment it could not count is reversed later: the certificate was true all along.
        (pay_again, lambda db: post(db, "R-2", "-5.00", reverses="P-2"), "valid"),
    ],
)
def test_a_writer_that_comes_during_the_issue_waits_and_the_check_then_says_so(
    database: Database,
    settings: Settings,
    writer: Callable[[Connection], None],
    afterwards: Callable[[Connection], None] | None,
    standing: str,
) -> None:
    rendering, release = threading.Event(), threading.Event()

    def slow_pdf(content: Mapping[str, Any], code: str) -> bytes:
        rendering.set()
        assert release.wait(10)
        return plain_pdf(content, code)

    certificate, issued = in_thread(lambda: issue(database, settings, slow_pdf))
    assert rendering.wait(10)

    def write() -> None:
        with database.write() as db:
            writer(db)

    writing, written = in_thread(write)
    writing.join(BLOCKED)
    assert writing.is_alive(), "the writer did not wait for the certificate"
    release.set()
    certificate.join(10)
    writing.join(10)
    assert "error" not in written, written
    if afterwards is not None:
        with database.write() as db:
            afterwards(db)
    result = issued.get("value")
    assert isinstance(result, IssuedCertificate), issued
    assert result.balance_kind == "settled"

    key = settings.secret_key.get_secret_value().encode()
    with database.read() as db:
        document, verdict = verify_document(db=db, key=key, code=result.verification_code)
        assert verdict == "genuine"
        assert certificate_standing(db, document) == standing


def test_a_certificate_holds_for_the_days_of_its_validity_and_then_expires(
    database: Database, settings: Settings
) -> None:
    result = issue(database, settings, plain_pdf)
    key = settings.secret_key.get_secret_value().encode()
    with database.read() as db:
        document, _ = verify_document(db=db, key=key, code=result.verification_code)
        with time_machine.travel(clock.now() + timedelta(days=29), tick=False):
            assert certificate_standing(db, document) == "valid"
        with time_machine.travel(clock.now() + timedelta(days=30), tick=False):
            assert certificate_standing(db, document) == "expired"
