"""Money, volumes and months per locale, from CLDR through Babel: ``1.234,56 ₼`` in az."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from waterbill.statement.domain import BAKU, YearMonth


def format_money(amount: Decimal, locale: str = "az") -> str:
    return str(format_currency(amount, "AZN", locale=locale))


def format_volume(amount: Decimal, locale: str = "az") -> str:
    return str(format_decimal(amount, format="#,##0.000", locale=locale))


def format_month(month: YearMonth, locale: str = "az") -> str:
    """``mart 2026`` in az: CLDR's stand-alone month name, lower case in Azerbaijani."""
    return str(format_date(month.first_day, "LLLL y", locale=locale))


def format_instant(instant: datetime, locale: str = "az") -> str:
    """An instant as a Baku wall-clock date and time: ``26 noyabr 2026, 14:00`` in az."""
    return str(format_datetime(instant.astimezone(BAKU), "d MMMM y, HH:mm", locale=locale))
