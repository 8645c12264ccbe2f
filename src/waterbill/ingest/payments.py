"""The rules of a payment, for a file row and for a channel's request alike: a payment on its own
(``check_payment``), then against what the store holds (``judge_payment``)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from waterbill.calendar import BAKU, baku_date
from waterbill.errors import MalformedCode
from waterbill.i18n.marker import _
from waterbill.identifiers import CodeLength, parse_code
from waterbill.ingest.columns import (
    CLOCK_SKEW,
    EARLIEST_PAYMENT_DAY,
    PAYMENT_AMOUNT,
    PAYMENT_ID_LENGTH,
)
from waterbill.ingest.fields import AT_MOST_CHARACTERS, CODE_DIGITS
from waterbill.ingest.problems import Problem, Rejected
from waterbill.ingest.records import PaymentRecord, StoredPayment

_UNPRINTABLE = _("control or text-direction characters are not allowed")


def check_payment(
    *,
    channel: str,
    payment_id: str,
    subscriber_code: str,
    paid_at: datetime,
    amount: Decimal,
    reverses: str | None,
    code_length: CodeLength,
    now: datetime,
) -> PaymentRecord:
    """The rules of a payment on its own, for a file row and for a channel's request alike."""
    problems: list[Problem] = []

    def fail(column: str, msgid: str, **params: object) -> None:
        problems.append(Problem("invalid_value", column, msgid, tuple(params.items())))

    payment_id = payment_id.strip()
    if not payment_id or len(payment_id) > PAYMENT_ID_LENGTH:
        fail("payment_id", _("must have 1 to 64 characters"))
    elif _unprintable(payment_id):
        fail("payment_id", _UNPRINTABLE)
    try:
        code = parse_code(subscriber_code, code_length)
    except MalformedCode:
        code = ""
        fail("subscriber_code", CODE_DIGITS, low=code_length[0], high=code_length[1])
    if paid_at.tzinfo is None:
        paid_at = paid_at.replace(tzinfo=BAKU)
    if paid_at > now + CLOCK_SKEW:
        fail("paid_at", _("a payment cannot be in the future"))
    elif baku_date(paid_at) < EARLIEST_PAYMENT_DAY:
        fail("paid_at", _("a payment before 2000"))
    places, integer_digits, _negative = PAYMENT_AMOUNT
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or (isinstance(exponent, int) and -exponent > places):
        fail("amount", _("at most 2 decimal places"))
    elif abs(amount) >= Decimal(10) ** integer_digits:
        fail("amount", _("the amount is too large"))
    reverses = (reverses.strip() or None) if reverses is not None else None
    if reverses is None and amount <= 0:
        fail("amount", _("the amount must be positive unless it reverses a payment"))
    if reverses is not None:
        if amount >= 0:
            fail("amount", _("a reversal has a negative amount"))
        if len(reverses) > PAYMENT_ID_LENGTH:
            fail("reverses", AT_MOST_CHARACTERS, length=PAYMENT_ID_LENGTH)
        elif _unprintable(reverses):
            fail("reverses", _UNPRINTABLE)
        elif reverses == payment_id:
            fail("reverses", _("a payment cannot reverse itself"))
    if problems:
        raise Rejected(problems)
    return PaymentRecord(
        channel=channel,
        payment_id=payment_id,
        subscriber_code=code,
        paid_at=paid_at.astimezone(UTC),
        amount=amount.quantize(Decimal("0.01")),
        reverses=reverses,
    )


def _unprintable(text: str) -> bool:
    """A control character or an invisible format one (a bidi override, a zero-width space):
    an id that reads as another on screen, or breaks the line it is logged on."""
    return any(unicodedata.category(character) in {"Cc", "Cf"} for character in text)


def check_amount_ceiling(amount: Decimal, ceiling: Decimal) -> None:
    """The intake's bound on one payment (``WATERBILL_PAYMENT_MAX_AMOUNT``)."""
    if abs(amount) > ceiling:
        msgid = _("a payment through the intake is at most %(ceiling)s")
        raise Rejected([Problem("amount_above_ceiling", "amount", msgid, (("ceiling", ceiling),))])


Verdict = Literal["new", "same"]


def judge_payment(
    payment: PaymentRecord,
    *,
    subscriber_known: bool,
    stored: StoredPayment | None,
    reversed_payment: StoredPayment | None,
) -> Verdict:
    """A payment against what the store holds: new, an exact repeat, or refused.

    The payment id is the channel's: the same id with other content is a conflict and the stored
    payment wins. A reversal names an earlier payment of the same channel and subscriber.
    """
    if stored is not None:
        if (
            stored.subscriber_code == payment.subscriber_code
            and stored.paid_at == payment.paid_at
            and stored.amount == payment.amount
            and stored.reverses == payment.reverses
        ):
            return "same"
        msgid = _("this payment id is already recorded with other content")
        raise Rejected([Problem("payment_conflict", "payment_id", msgid)])
    if not subscriber_known:
        msgid = _("no subscriber has this code")
        raise Rejected([Problem("unknown_subscriber", "subscriber_code", msgid)])
    if payment.reverses is not None:
        if reversed_payment is None or reversed_payment.amount <= 0:
            msgid = _("the reversed payment is not found for this channel")
            raise Rejected([Problem("unknown_reversed_payment", "reverses", msgid)])
        if reversed_payment.subscriber_code != payment.subscriber_code:
            msgid = _("the reversed payment belongs to another subscriber")
            raise Rejected([Problem("reversal_mismatch", "reverses", msgid)])
        if reversed_payment.reversed - payment.amount > reversed_payment.amount:
            raise Rejected([reversal_exceeds_payment(reversed_payment)])
    return "new"


def reversal_exceeds_payment(reversed_payment: StoredPayment) -> Problem:
    """The reversals of a payment, counted over every file, batch and request, exceed it."""
    msgid = _(
        "the reversals of a payment cannot exceed it: paid %(paid)s, already reversed %(reversed)s"
    )
    amounts = (("paid", reversed_payment.amount), ("reversed", reversed_payment.reversed))
    return Problem("reversal_exceeds_payment", "amount", msgid, amounts)
