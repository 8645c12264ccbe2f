"""Real-time payment intake: one payment posted by a channel, judged by the importer's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from waterbill import clock
from waterbill.db.database import Database
from waterbill.identifiers import DEFAULT_CODE_LENGTH, CodeLength
from waterbill.ingest import repository
from waterbill.ingest.channels import authenticate_channel
from waterbill.ingest.payments import Verdict, check_amount_ceiling, check_payment, judge_payment
from waterbill.ingest.records import PaymentRecord
from waterbill.notifications import outbox


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    channel: str
    payment_id: str
    subscriber_code: str
    paid_at: datetime
    amount: Decimal
    reverses: str | None
    received_at: datetime
    created: bool


def channel_of(*, database: Database, key: str | None) -> str:
    """The channel whose API key this is; InvalidApiKey otherwise.

    On the primary, not a replica: a revoked key must stop working at once, and the payment is
    written there anyway.
    """
    with database.read(primary=True) as db:
        return authenticate_channel(db=db, key=key)


def receive_payment(
    *,
    database: Database,
    channel: str,
    payment_id: str,
    subscriber_code: str,
    paid_at: datetime,
    amount: Decimal,
    reverses: str | None,
) -> RecordedPayment:
    """One payment posted by ``channel``, recorded in its own unit of work under the deployment's
    code length and amount ceiling (see ``record_payment``)."""
    settings = database.settings
    with database.write() as db:
        return record_payment(
            db=db,
            channel=channel,
            payment_id=payment_id,
            subscriber_code=subscriber_code,
            paid_at=paid_at,
            amount=amount,
            reverses=reverses,
            code_length=settings.code_length_range,
            max_amount=settings.payment_max_amount,
        )


def record_payment(
    *,
    db: Connection,
    channel: str,
    payment_id: str,
    subscriber_code: str,
    paid_at: datetime,
    amount: Decimal,
    reverses: str | None,
    code_length: CodeLength = DEFAULT_CODE_LENGTH,
    max_amount: Decimal | None = None,
    now: datetime | None = None,
) -> RecordedPayment:
    """Record one payment of ``channel`` with the importer's rules; the same request is a no-op.

    Raises Rejected (invalid, above ``max_amount``, unknown subscriber or reversed payment, a
    payment id conflict, or reversals that would exceed their payment).
    """
    now = now or clock.now()
    payment = check_payment(
        channel=channel,
        payment_id=payment_id,
        subscriber_code=subscriber_code,
        paid_at=paid_at,
        amount=amount,
        reverses=reverses,
        code_length=code_length,
        now=now,
    )
    if max_amount is not None:
        check_amount_ceiling(payment.amount, max_amount)
    if payment.reverses is not None:
        # Before anything is read: a concurrent reversal of the same payment waits for this one.
        repository.lock_reversed_payments(db, [(payment.channel, payment.reverses)])
    verdict, subscriber_id = _judge_one(db, payment)
    if verdict == "new":
        assert subscriber_id is not None
        try:
            with db.begin_nested():
                repository.insert_payments(db, [(payment, subscriber_id)], now)
                if payment.amount > 0:
                    outbox.payment_posted(
                        db,
                        subscriber_id=subscriber_id,
                        channel=payment.channel,
                        payment_id=payment.payment_id,
                        now=now,
                    )
        except IntegrityError:
            # The same id arrived concurrently: judge again against what won the race.
            verdict, _ = _judge_one(db, payment)
            if verdict == "new":
                raise
    row = repository.stored_payment_row(db, payment.channel, payment.payment_id)
    return RecordedPayment(
        channel=row.channel,
        payment_id=row.payment_id,
        subscriber_code=row.subscriber_code,
        paid_at=row.paid_at,
        amount=row.amount,
        reverses=row.reverses,
        received_at=row.received_at,
        created=verdict == "new",
    )


def _judge_one(db: Connection, payment: PaymentRecord) -> tuple[Verdict, int | None]:
    facts = repository.payment_facts_one(db, payment)
    verdict = judge_payment(
        payment,
        subscriber_known=facts.subscriber_id is not None,
        stored=facts.stored,
        reversed_payment=facts.reversed_payment,
    )
    return verdict, facts.subscriber_id
