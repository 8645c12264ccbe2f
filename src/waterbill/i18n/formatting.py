"""Money, volumes and months per locale, from CLDR through Babel: ``1.234,56 ₼`` in az."""

from __future__ import annotations

from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from waterbill.statement.domain import YearMonth


def format_money(amount: Decimal, locale: str = "az") -> str:
    return str(format_currency(amount, "AZN", locale=locale))


def format_volume(amount: Decimal, locale: str = "az") -> str:
    return str(format_decimal(amount, format="#,##0.000", locale=locale))


def format_month(month: YearMonth, locale: str = "az") -> str:
    """``mart 2026`` in az: CLDR's stand-alone month name, lower case in Azerbaijani."""
    return str(format_date(month.first_day, "LLLL y", locale=locale))
