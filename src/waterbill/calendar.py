"""The Baku calendar every area shares: billing months, the statement's window, Baku days.

The billing month is the calendar month in Baku (Asia/Baku, UTC+4, no daylight saving): a payment
at 2026-10-31T20:30Z is made on 1 November in Baku and counts there. Pure values, no framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

BAKU = ZoneInfo("Asia/Baku")
WINDOW_MONTHS = 12


@dataclass(frozen=True, order=True, slots=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """``YYYY-MM``, as in the feeds and the JSON."""
        return _parse_year_month(text)

    @classmethod
    def _parse(cls, text: str) -> YearMonth:
        if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
            raise ValueError(f"a period is written YYYY-MM, not {text!r}")
        return cls(int(text[:4]), int(text[5:]))

    @classmethod
    def of(cls, day: date) -> YearMonth:
        return cls(day.year, day.month)

    def shift(self, months: int) -> YearMonth:
        index = self.year * 12 + (self.month - 1) + months
        return YearMonth(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def starts_at(self) -> datetime:
        """The instant the month begins in Baku, as UTC."""
        return datetime.combine(self.first_day, time(), BAKU).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# A statement parses two dozen periods and there are only a few hundred months in use.
@lru_cache(maxsize=4096)
def _parse_year_month(text: str) -> YearMonth:
    return YearMonth._parse(text)


def baku_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("an instant must be timezone-aware")
    return instant.astimezone(BAKU).date()


def baku_month(instant: datetime) -> YearMonth:
    return YearMonth.of(baku_date(instant))


def start_of_baku_day(day: date) -> datetime:
    """The first instant of ``day`` in Baku, as UTC."""
    return datetime.combine(day, time(), BAKU).astimezone(UTC)


def end_of_baku_day(day: date) -> datetime:
    """The first instant after ``day`` in Baku, as UTC: payments up to it are on the statement."""
    return datetime.combine(day + timedelta(days=1), time(), BAKU).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """The 12 calendar months ending with the month of ``as_of`` (a Baku date)."""

    as_of: date
    months: tuple[YearMonth, ...]

    @classmethod
    def ending(cls, as_of: date, length: int = WINDOW_MONTHS) -> Window:
        return _window_ending(as_of, length)

    @property
    def first(self) -> YearMonth:
        return self.months[0]

    @property
    def last(self) -> YearMonth:
        return self.months[-1]

    @property
    def starts_at(self) -> datetime:
        return self.first.starts_at()

    @property
    def payments_until(self) -> datetime:
        return end_of_baku_day(self.as_of)


# Every statement of a day has the same window: built once per day (and length), not per view.
@lru_cache(maxsize=64)
def _window_ending(as_of: date, length: int) -> Window:
    last = YearMonth.of(as_of)
    return Window(as_of, tuple(last.shift(offset) for offset in range(1 - length, 1)))
