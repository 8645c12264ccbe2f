"""The reading rules without a database: the bill a reading is for, the figure, the date, and
what counts as implausible."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from waterbill.calendar import YearMonth
from waterbill.readings.domain import (
    BillOfMonth,
    LastBilled,
    Reading,
    ReadingRules,
    check_not_decreased,
    check_plausible,
    parse_read_on,
    parse_reading,
    status_of,
    target_of,
    usual_daily_use,
)
from waterbill.readings.errors import (
    MalformedReading,
    MalformedReadOn,
    OutsideWindow,
    ReadingDecreased,
    ReadingImplausible,
)

RULES = ReadingRules(window_start_day=15, window_end_day=25, implausible_factor=Decimal(10))
DECEMBER = YearMonth(2026, 12)


@pytest.mark.parametrize(
    ("day", "period", "in_window"),
    [
        (date(2026, 12, 15), DECEMBER, True),
        (date(2026, 12, 25), DECEMBER, True),
        # Before the window: still this month's bill, which is not made yet.
        (date(2026, 12, 3), DECEMBER, False),
        # After it: this month's readings are taken, so the reading waits for next month's bill.
        (date(2026, 12, 26), YearMonth(2027, 1), False),
    ],
)
def test_the_day_of_submission_decides_the_bill_a_reading_is_for(
    day: date, period: YearMonth, in_window: bool
) -> None:
    target = target_of(day, RULES)
    assert (target.period, target.in_window) == (period, in_window)


def test_a_reading_is_cubic_metres_with_at_most_litres_and_a_comma_is_a_decimal_mark() -> None:
    assert parse_reading("1 234,5") == Decimal("1234.500")
    for wrong, reason in (("12a", "not_number"), ("-1", "range"), ("1.0001", "decimals")):
        with pytest.raises(MalformedReading) as refused:
            parse_reading(wrong)
        assert refused.value.params["reason"] == reason


def test_the_date_may_not_be_in_the_future_nor_older_than_the_accepted_age() -> None:
    today = date(2026, 12, 18)
    assert parse_read_on("2026-12-11", today=today, rules=RULES) == date(2026, 12, 11)
    with pytest.raises(OutsideWindow) as future:
        parse_read_on("2026-12-19", today=today, rules=RULES)
    assert future.value.params["reason"] == "future"
    with pytest.raises(OutsideWindow) as old:
        parse_read_on("2026-12-10", today=today, rules=RULES)
    assert old.value.params["reason"] == "too_old"
    with pytest.raises(MalformedReadOn):
        parse_read_on("18.12.2026", today=today, rules=RULES)


def test_a_reading_below_the_last_billed_one_is_refused_but_a_replaced_meter_starts_afresh() -> (
    None
):
    billed = LastBilled(reading=Decimal(1000), period=YearMonth(2026, 11), since=date(2026, 12, 1))
    with pytest.raises(ReadingDecreased):
        check_not_decreased(Decimal("999.999"), billed)
    replaced = LastBilled(reading=Decimal(0), period=None, since=date(2026, 12, 5), replaced=True)
    check_not_decreased(Decimal("3.000"), replaced)


def test_implausible_means_more_than_the_factor_times_the_median_daily_use_since_the_bill() -> None:
    # A year of 30 m³ months and one leak month: the median ignores the leak.
    monthly = [(YearMonth(2026, month), Decimal(30)) for month in range(1, 12)]
    usual = usual_daily_use([*monthly, (YearMonth(2025, 12), Decimal(900))])
    assert usual is not None
    assert Decimal("0.96") < usual < Decimal("1.0")
    billed = LastBilled(reading=Decimal(1000), period=YearMonth(2026, 11), since=date(2026, 12, 1))
    # 17 days at about 1 m³ a day: up to about 165 m³ is plausible at a factor of 10.
    check_plausible(
        reading=Decimal(1160),
        read_on=date(2026, 12, 18),
        last=billed,
        usual_daily=usual,
        rules=RULES,
    )
    with pytest.raises(ReadingImplausible) as refused:
        check_plausible(
            reading=Decimal(1170),
            read_on=date(2026, 12, 18),
            last=billed,
            usual_daily=usual,
            rules=RULES,
        )
    assert refused.value.params["days"] == 17
    # Nothing billed yet: nothing to measure from.
    check_plausible(
        reading=Decimal(99999), read_on=date(2026, 12, 18), last=None, usual_daily=None, rules=RULES
    )


def test_the_status_follows_the_bill_of_the_readings_month() -> None:
    reading = Reading(
        reference="SAY-2026-0000001",
        cursor=1,
        code="0104410203",
        reading=Decimal("1012.500"),
        read_on=date(2026, 12, 18),
        for_period=DECEMBER,
        in_window=True,
        implausible=False,
        has_photo=False,
        submitted_at=datetime(2026, 12, 18, 8, tzinfo=UTC),
        submitted_by="pseudonym",
        meter_serial=None,
        last_billed=Decimal(1000),
    )
    assert status_of(reading, newest_for_month=True, bill=None) == "received"
    metered = BillOfMonth(basis="meter", current_reading=Decimal("1012.500"))
    assert status_of(reading, newest_for_month=True, bill=metered) == "used"
    for basis in ("estimate", "norm"):
        bill = BillOfMonth(basis=basis, current_reading=None)
        assert status_of(reading, newest_for_month=True, bill=bill) == "estimated"
    assert status_of(reading, newest_for_month=False, bill=metered) == "superseded"
