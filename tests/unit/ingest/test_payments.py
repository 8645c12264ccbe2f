"""The rules of a payment: on its own, then judged against what the store holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from waterbill.i18n import LOCALES
from waterbill.ingest.payments import check_payment, judge_payment
from waterbill.ingest.problems import Problem, Rejected
from waterbill.ingest.records import PaymentRecord, StoredPayment
from waterbill.ingest.texts import values_in

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _payment(**overrides: object) -> PaymentRecord:
    values: dict[str, object] = {
        "channel": "kapitalbank",
        "payment_id": "T-1",
        "subscriber_code": "0104410203",
        "paid_at": datetime(2026, 11, 1, 0, 30),  # noqa: DTZ001 - naive on purpose: Baku time
        "amount": Decimal("7"),
        "reverses": None,
        "code_length": (6, 13),
        "now": NOW,
    }
    values.update(overrides)
    return check_payment(**values)  # type: ignore[arg-type]


def test_a_payment_time_without_offset_is_read_as_baku_time_and_kept_in_utc() -> None:
    payment = _payment()
    assert payment.paid_at == datetime(2026, 10, 31, 20, 30, tzinfo=UTC)
    assert payment.amount == Decimal("7.00")


def test_a_payment_a_few_minutes_ahead_of_our_clock_is_accepted_but_not_an_hour() -> None:
    _payment(paid_at=datetime(2026, 11, 26, 10, 4, tzinfo=UTC))
    with pytest.raises(Rejected, match="paid_at"):
        _payment(paid_at=datetime(2026, 11, 26, 11, 0, tzinfo=UTC))


def test_a_payment_reports_every_problem_it_has_at_once() -> None:
    with pytest.raises(Rejected) as refusal:
        _payment(subscriber_code="AB", amount=Decimal("-1.005"), reverses="T-1")
    columns = [problem.column for problem in refusal.value.problems]
    assert columns == ["subscriber_code", "amount", "reverses"]


STORED = StoredPayment(
    "0104410203", datetime(2026, 10, 31, 20, 30, tzinfo=UTC), Decimal("7.00"), None
)


def test_a_repeat_with_the_same_content_is_the_same_payment() -> None:
    assert (
        judge_payment(_payment(), subscriber_known=True, stored=STORED, reversed_payment=None)
        == "same"
    )


def test_a_conflict_is_judged_before_anything_else() -> None:
    with pytest.raises(Rejected) as refusal:
        judge_payment(
            _payment(amount=Decimal("8")),
            subscriber_known=False,
            stored=STORED,
            reversed_payment=None,
        )
    assert refusal.value.first.code == "payment_conflict"


def test_a_reversal_of_a_reversal_is_refused() -> None:
    reversal = StoredPayment("0104410203", STORED.paid_at, Decimal("-7.00"), "T-0")
    with pytest.raises(Rejected) as refusal:
        judge_payment(
            _payment(payment_id="T-2", amount=Decimal("-7"), reverses="T-1"),
            subscriber_known=True,
            stored=None,
            reversed_payment=reversal,
        )
    assert refusal.value.first.code == "unknown_reversed_payment"


def _payment_refusals() -> list[Problem]:
    """Every refusal a channel's payment can meet, from the rules themselves."""
    good = dict(
        channel="bank",
        payment_id="P1",
        subscriber_code="0104410203",
        paid_at=NOW,
        amount=Decimal("5.00"),
        reverses=None,
        code_length=(6, 13),
        now=NOW,
    )
    bad: list[dict[str, object]] = [
        {"payment_id": " "},
        {"subscriber_code": "12AB"},
        {"paid_at": datetime(2099, 1, 1, tzinfo=UTC)},
        {"paid_at": datetime(1999, 1, 1, tzinfo=UTC)},
        {"amount": Decimal("5.001")},
        {"amount": Decimal("1e13")},
        {"amount": Decimal("-5.00")},
        {"amount": Decimal("5.00"), "reverses": "X" * 65},
        {"amount": Decimal("-5.00"), "reverses": "P1"},
    ]
    problems: list[Problem] = []
    for change in bad:
        with pytest.raises(Rejected) as refused:
            check_payment(**(good | change))  # type: ignore[arg-type]
        problems.extend(refused.value.problems)
    payment = check_payment(**good)  # type: ignore[arg-type]
    reversal = check_payment(**(good | {"amount": Decimal("-9.00"), "reverses": "P0"}))  # type: ignore[arg-type]
    other = StoredPayment("0104410204", NOW, Decimal("5.00"), None)
    mine = StoredPayment("0104410203", NOW, Decimal("5.00"), None)
    for judged, facts in [
        (payment, {"subscriber_known": True, "stored": other, "reversed_payment": None}),
        (payment, {"subscriber_known": False, "stored": None, "reversed_payment": None}),
        (reversal, {"subscriber_known": True, "stored": None, "reversed_payment": None}),
        (reversal, {"subscriber_known": True, "stored": None, "reversed_payment": other}),
        (reversal, {"subscriber_known": True, "stored": None, "reversed_payment": mine}),
    ]:
        with pytest.raises(Rejected) as refused:
            judge_payment(judged, **facts)  # type: ignore[arg-type]
        problems.extend(refused.value.problems)
    return problems


def test_each_payment_refusal_has_its_own_text_in_azerbaijani_english_and_russian() -> None:
    problems = _payment_refusals()
    assert len({problem.msgid for problem in problems}) == 15
    for problem in problems:
        texts = {locale: problem.message(locale) for locale in LOCALES}
        assert texts["en"] == problem.msgid % values_in("en", problem.params)
        assert len(set(texts.values())) == len(LOCALES)
        assert any("а" <= letter <= "я" for letter in texts["ru"])


def test_an_amount_in_a_refusal_reads_as_money_in_each_language() -> None:
    problem = _payment_refusals()[-1]
    assert problem.code == "reversal_exceeds_payment"
    assert problem.text() == (
        "amount: ödənişin ləğvləri onun məbləğindən çox ola bilməz: ödənilib 5,00\xa0₼, artıq ləğv"
        " edilib 0,00\xa0₼ / the reversals of a payment cannot exceed it: paid AZN5.00, already"
        " reversed AZN0.00"
    )
