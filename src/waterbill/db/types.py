"""Column types that behave the same on SQLite and PostgreSQL.

PostgreSQL has exact NUMERIC and timestamptz. SQLite has neither: it would keep a NUMERIC as a float
and a datetime as naive text. So on SQLite a fixed-point value is stored as an integer count of its
smallest unit (qəpik, litre), which keeps SUM() exact, and timestamps are stored as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine


class _ScaledInteger(TypeDecorator[Decimal]):
    """A Decimal with a fixed scale, stored on SQLite as an integer of its smallest unit."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = (Decimal(value) * self._factor).to_integral_exact()
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(self._quantum)


def fixed_point(precision: int, scale: int) -> TypeEngine[Decimal]:
    """NUMERIC(precision, scale) on PostgreSQL; a scaled integer on SQLite."""
    return Numeric(precision, scale, asdecimal=True).with_variant(_ScaledInteger(scale), "sqlite")


def money() -> TypeEngine[Decimal]:
    """Manat with two decimals (qəpik)."""
    return fixed_point(14, 2)


def volume() -> TypeEngine[Decimal]:
    """Cubic metres with three decimals (litres)."""
    return fixed_point(14, 3)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant: timestamptz on PostgreSQL, UTC text on SQLite, always aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        instant: datetime = value.astimezone(UTC)
        return instant.replace(tzinfo=None) if dialect.name == "sqlite" else instant

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)
