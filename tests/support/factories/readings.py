"""A metered household with a year of bills, for the meter-reading tests."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection

from tests.support.factories.billing import add_invoice, add_subscriber
from waterbill import clock
from waterbill.calendar import YearMonth

# The last billed reading of the household below, and its usual use (30 m³ a month, ~1 m³ a day).
LAST_BILLED = Decimal("1000.000")


def metered_household(db: Connection, code: str, holder_fin: str, **overrides: object) -> int:
    """A mechanical meter, billed on it for the 12 months before this one."""
    subscriber_id = add_subscriber(db, code=code, holder_fin=holder_fin, **overrides)
    this_month = YearMonth.of(clock.today())
    for back in range(12, 0, -1):
        current = LAST_BILLED - 30 * (back - 1)
        add_invoice(
            db,
            subscriber_id,
            str(this_month.shift(-back)),
            "water",
            consumption="30.000",
            previous_reading=current - 30,
            current_reading=current,
        )
    return subscriber_id
