"""The rules of a submitted meter reading as pure functions: no framework, no database.

A citizen reads a mechanical meter and submits the figure. It is checked against what the billing
system last billed (never lower, unless a meter replacement is recorded since), against the
account's usual use (not implausibly high), and its date must be usable (not in the future, not
older than a few days). The day of submission decides which month's bill it is for: inside the
month's reading window, that month's; before the window, still that month's; after it, the next
month's, and the citizen is told the reading is kept for that bill.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from waterbill.calendar import YearMonth
from waterbill.readings.errors import (
    MalformedReading,
    MalformedReadOn,
    OutsideWindow,
    ReadingDecreased,
    ReadingImplausible,
)

REFERENCE_PREFIX = "SAY"
# A household meter has at most 5 digits before the point (99999 m³) and shows litres.
MAX_READING = Decimal("99999.999")
READING_QUANTUM = Decimal("0.001")
# With no usual use to compare against (a new account, or months of zero), up to this much a day
# is taken as usual: about what four people use.
MIN_USUAL_DAILY_M3 = Decimal("0.5")

# What the citizen follows: received (waiting for the bill of its month); used (that bill was
# billed on the meter); not used, because the bill was still an estimate or the norm, or because
# a later reading for the same month replaced it.
Status = Literal["received", "used", "estimated", "superseded"]


@dataclass(frozen=True, slots=True)
class ReadingRules:
    """What the configuration decides (``WATERBILL_READING_*``)."""

    window_start_day: int = 15
    window_end_day: int = 25
    implausible_factor: Decimal = Decimal(10)
    daily_limit: int = 3
    max_age_days: int = 7


@dataclass(frozen=True, slots=True)
class LastBilled:
    """The newest reading the billing system billed, or a recorded meter replacement after it."""

    reading: Decimal
    period: YearMonth | None
    # The day from which consumption is counted: the end of the billed month, or the replacement.
    since: date
    replaced: bool = False


@dataclass(frozen=True, slots=True)
class Target:
    """The bill a reading is for, and whether it came within that month's reading window."""

    period: YearMonth
    in_window: bool


@dataclass(frozen=True, slots=True)
class Reading:
    reference: str
    cursor: int
    code: str
    reading: Decimal
    read_on: date
    for_period: YearMonth
    in_window: bool
    implausible: bool
    has_photo: bool
    submitted_at: datetime
    submitted_by: str
    meter_serial: str | None
    last_billed: Decimal | None


@dataclass(frozen=True, slots=True)
class BillOfMonth:
    """The water line of the bill of a reading's month, as imported."""

    basis: str
    current_reading: Decimal | None


@dataclass(frozen=True, slots=True)
class FollowedReading:
    """A reading with what became of it."""

    reading: Reading
    status: Status
    bill: BillOfMonth | None = None


def format_reference(year: int, cursor: int) -> str:
    """``SAY-2026-0000123``: the year of submission and the reading's place in the export."""
    return f"{REFERENCE_PREFIX}-{year:04d}-{cursor:07d}"


def parse_reading(raw: str | Decimal | int | None) -> Decimal:
    """A meter figure in m³, up to 3 decimals (litres), ``.`` or ``,`` as the decimal mark."""
    text = str(raw if raw is not None else "").strip().replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MalformedReading(reason="not_number") from None
    if not value.is_finite() or value < 0 or value > MAX_READING:
        raise MalformedReading(reason="range", maximum=MAX_READING)
    if value != value.quantize(READING_QUANTUM):
        raise MalformedReading(reason="decimals")
    return value.quantize(READING_QUANTUM)


def parse_read_on(raw: str | date | None, *, today: date, rules: ReadingRules) -> date:
    """The day the meter was read: ``YYYY-MM-DD``, not after today, at most a few days back."""
    if isinstance(raw, date):
        day = raw
    else:
        try:
            day = date.fromisoformat((raw or "").strip())
        except ValueError:
            raise MalformedReadOn(value=raw or "") from None
    if day > today:
        raise OutsideWindow(reason="future", today=today.isoformat())
    if day < today - timedelta(days=rules.max_age_days):
        raise OutsideWindow(reason="too_old", days=rules.max_age_days)
    return day


def target_of(submitted_on: date, rules: ReadingRules) -> Target:
    """The bill a reading submitted on this Baku day is for."""
    month = YearMonth.of(submitted_on)
    if submitted_on.day > rules.window_end_day:
        return Target(period=month.shift(1), in_window=False)
    return Target(period=month, in_window=submitted_on.day >= rules.window_start_day)


def check_not_decreased(reading: Decimal, last: LastBilled | None) -> None:
    if last is not None and reading < last.reading:
        raise ReadingDecreased(last=last.reading, period=last.period or last.since.isoformat())


def usual_daily_use(monthly: list[tuple[YearMonth, Decimal]]) -> Decimal | None:
    """The median of the billed months' water use per day, or None without any billed month."""
    if not monthly:
        return None
    per_day = [consumption / _days_in(month) for month, consumption in monthly]
    return Decimal(statistics.median(per_day))


def check_plausible(
    *,
    reading: Decimal,
    read_on: date,
    last: LastBilled | None,
    usual_daily: Decimal | None,
    rules: ReadingRules,
) -> None:
    """Refuses a use since the last billed reading above the factor times the usual use.

    Without a billed reading there is nothing to measure the use from: every figure is plausible.
    """
    if last is None:
        return
    days = max(1, (read_on - last.since).days)
    daily = max(usual_daily or Decimal(0), MIN_USUAL_DAILY_M3)
    limit = (daily * days * rules.implausible_factor).quantize(READING_QUANTUM)
    used = reading - last.reading
    if used > limit:
        raise ReadingImplausible(
            used=used, days=days, limit=limit, factor=f"{rules.implausible_factor:g}"
        )


def status_of(reading: Reading, *, newest_for_month: bool, bill: BillOfMonth | None) -> Status:
    if not newest_for_month:
        return "superseded"
    if bill is None:
        return "received"
    return "used" if bill.basis == "meter" else "estimated"


def _days_in(month: YearMonth) -> int:
    return (month.shift(1).first_day - month.first_day).days
