"""The feed rules on their own: numbers, times, payments, judgements and warnings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.support.factories.feeds import invoice_row
from waterbill.i18n.catalogs import gettext_for
from waterbill.identifiers import FIN_CHARACTERS, FIN_PATTERN
from waterbill.ingest.rules import (
    STRIPPED_BEYOND_ASCII,
    PaymentRecord,
    Problem,
    Rejected,
    StoredPayment,
    check_payment,
    far_above_median,
    invoice_warnings,
    judge_payment,
    parse_decimal,
    parse_invoice,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.50", Decimal("12.50")),
        ("12,50", Decimal("12.50")),
        (" 7 ", Decimal(7)),
        ("-5,00", Decimal("-5.00")),
    ],
)
def test_a_decimal_may_use_a_point_or_a_comma(text: str, value: Decimal) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["1,234.50", "1.234,50", "1,2,3", "NaN", "Infinity", "12a"])
def test_thousands_separators_and_non_numbers_are_not_guessed(text: str) -> None:
    assert parse_decimal(text) is None


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


def test_an_amount_within_a_qepik_of_consumption_times_tariff_is_not_a_warning() -> None:
    row = parse_invoice(invoice_row(amount="4.91"), code_length=(6, 13), now=NOW)
    assert invoice_warnings(row) == []
    row = parse_invoice(invoice_row(amount="4.92"), code_length=(6, 13), now=NOW)
    assert [w.code for w in invoice_warnings(row)] == ["amount_mismatch"]


def test_a_spike_needs_three_earlier_months_and_more_than_three_times_their_median() -> None:
    history = [Decimal(7), Decimal(6), Decimal(8)]
    assert far_above_median(Decimal(21), history) is None
    assert far_above_median(Decimal("21.001"), history) is not None
    assert far_above_median(Decimal(100), history[:2]) is None
    assert far_above_median(Decimal(100), [Decimal(0)] * 5) is None


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


def test_each_payment_refusal_reads_the_same_in_the_web_catalogs_and_has_a_russian_text() -> None:
    problems = _payment_refusals()
    assert len({problem.msgid for problem in problems}) == 15
    for problem in problems:
        assert gettext_for("az", problem.msgid) % problem.params_in("az") == problem.az
        assert gettext_for("en", problem.msgid) % problem.params_in("en") == problem.en
        russian = gettext_for("ru", problem.msgid) % problem.params_in("ru")
        assert russian != problem.en
        assert any("а" <= letter <= "я" for letter in russian)


def test_the_white_space_the_sql_path_looks_for_is_all_that_str_strip_removes() -> None:
    stripped = {code for code in range(0x110000) if chr(code).isspace()}
    assert {code for code in stripped if code > 32} == set(STRIPPED_BEYOND_ASCII)
    # The rest is what PostgreSQL's ascii() puts at 32 or below.
    assert all(code <= 32 for code in stripped - set(STRIPPED_BEYOND_ASCII))


def test_the_fin_characters_the_sql_path_accepts_are_those_of_the_fin_pattern() -> None:
    accepted = {c for c in map(chr, range(128)) if FIN_PATTERN.match(c * 7)}
    assert accepted == set(FIN_CHARACTERS)
