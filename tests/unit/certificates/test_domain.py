"""Whether a genuine no-debt certificate still holds: its validity and later reversals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from waterbill.certificates.domain import standing, valid_until

ISSUED_ON = date(2026, 12, 6)
CONTENT = {"balance": "-2.50", "valid_until": "2027-01-04"}


def test_thirty_days_of_validity_count_the_day_of_issue() -> None:
    assert valid_until(ISSUED_ON, 30) == date(2027, 1, 4)
    assert valid_until(ISSUED_ON, 1) == ISSUED_ON


@pytest.mark.parametrize(
    ("today", "taken_back", "expected"),
    [
        (date(2027, 1, 4), "0.00", "valid"),  # its last day
        (date(2027, 1, 5), "0.00", "expired"),
        (ISSUED_ON, "2.50", "valid"),  # the advance covers the reversed payment
        (ISSUED_ON, "2.51", "debtor_since"),
        (date(2027, 2, 1), "7.00", "debtor_since"),  # the graver news first
    ],
)
def test_a_certificate_holds_until_it_expires_or_a_later_reversal_leaves_a_debt(
    today: date, taken_back: str, expected: str
) -> None:
    assert standing(content=CONTENT, today=today, taken_back=Decimal(taken_back)) == expected
