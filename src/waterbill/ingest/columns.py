"""The feeds' columns and the limits of their values, shared by the rules and the SQL path.

The limits are read by the PostgreSQL import too (``bulk.py``), which loads in SQL the rows whose
every value has a plain shape within them and sends only the other rows through the rules
(``rows.py``); a test holds the two paths to the same outcome, row by row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from waterbill.calendar import YearMonth

Kind = Literal["subscribers", "invoices", "payments"]
KINDS: tuple[Kind, ...] = ("subscribers", "invoices", "payments")

SUBSCRIBER_COLUMNS = (
    "subscriber_code",
    "holder_fin",
    "surname",
    "name",
    "patronymic",
    "region",
    "city",
    "district",
    "street",
    "building",
    "apartment",
    "persons_served",
    "water_service",
    "wastewater_service",
    "meter_type",
    "meter_serial",
    "tariff_zone",
    "category",
    "status",
    "opened_on",
)
INVOICE_COLUMNS = (
    "invoice_no",
    "subscriber_code",
    "period",
    "service",
    "previous_reading",
    "current_reading",
    "consumption_m3",
    "tariff",
    "amount",
    "basis",
    "issued_on",
)
PAYMENT_COLUMNS = ("payment_id", "subscriber_code", "paid_at", "amount", "channel", "reverses")
COLUMNS: dict[Kind, tuple[str, ...]] = {
    "subscribers": SUBSCRIBER_COLUMNS,
    "invoices": INVOICE_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}
# Columns that may be empty; every other column is required.
OPTIONAL = frozenset(
    {"patronymic", "district", "apartment", "meter_serial", "previous_reading", "current_reading"}
    | {"reverses"}
)

EARLIEST_DAY = date(1950, 1, 1)
EARLIEST_PERIOD = YearMonth(2000, 1)
EARLIEST_PAYMENT_DAY = date(2000, 1, 1)
# A channel's clock may run a little ahead of ours; beyond this a payment is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
TRUE_TEXTS = ("1", "true")
FALSE_TEXTS = ("0", "false")
PERSONS_SERVED = (0, 999)
PAYMENT_ID_LENGTH = 64
CHANNEL_LENGTH = 40
# What ``str.strip()`` removes beyond ASCII's white space and control characters.
STRIPPED_BEYOND_ASCII = (
    0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
)  # fmt: skip
INVOICE_NO_LENGTH = 32
# The longest value of each text column of a subscriber (OPTIONAL says which may be empty).
SUBSCRIBER_TEXTS = {
    "surname": 100,
    "name": 100,
    "patronymic": 100,
    "region": 100,
    "city": 100,
    "district": 100,
    "street": 200,
    "building": 20,
    "apartment": 20,
    "meter_serial": 40,
}
# (decimal places, integer digits, may be negative) of a payment's amount.
PAYMENT_AMOUNT = (2, 12, True)
# (decimal places, integer digits, may be negative) of each number of an invoice.
INVOICE_NUMBERS: dict[str, tuple[int, int, bool]] = {
    "previous_reading": (3, 11, False),
    "current_reading": (3, 11, False),
    "consumption_m3": (3, 11, False),
    "tariff": (4, 6, False),
    "amount": (2, 12, True),
}
