"""Money, volumes and months per locale, from CLDR through Babel: ``1.234,56 ₼`` in az."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from waterbill.calendar import BAKU, YearMonth


# Babel takes ~15 µs a number and a statement page shows ~150 of them, many the same (a month's
# figure in the table and in the chart, 0,00 ₼): remembered per value and locale. Keys compare
# Decimals by value, which is safe because the formats fix the number of decimals.
@lru_cache(maxsize=16384)
def format_money(amount: Decimal, locale: str = "az") -> str:
    return str(format_currency(amount, "AZN", locale=locale))


@lru_cache(maxsize=16384)
def format_volume(amount: Decimal, locale: str = "az") -> str:
    return str(format_decimal(amount, format="#,##0.000", locale=locale))


@lru_cache(maxsize=16384)
def format_number(value: Decimal, pattern: str, locale: str = "az") -> str:
    """A number in a CLDR pattern (``#,##0.##``): the charts' axes, the CSV, ratios."""
    return str(format_decimal(value, format=pattern, locale=locale))


@lru_cache(maxsize=1024)
def format_month_abbreviated(month: YearMonth, locale: str = "az") -> str:
    """``mar`` in az: the month's short stand-alone name, for a chart's axis."""
    return str(format_date(month.first_day, "LLL", locale=locale))


@lru_cache(maxsize=1024)
def format_month(month: YearMonth, locale: str = "az") -> str:
    """``mart 2026`` in az: CLDR's stand-alone month name, lower case in Azerbaijani."""
    return str(format_date(month.first_day, "LLLL y", locale=locale))


def format_instant(instant: datetime, locale: str = "az") -> str:
    """An instant as a Baku wall-clock date and time: ``26 noyabr 2026, 14:00`` in az."""
    return str(format_datetime(instant.astimezone(BAKU), "d MMMM y, HH:mm", locale=locale))
