"""The statement's rules, as pure functions over plain values: no framework, no database.

Money is Decimal end to end. The billing month is the calendar month in Baku (Asia/Baku, UTC+4,
no daylight saving): a payment at 2026-10-31T20:30Z is made on 1 November in Baku and counts
there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from waterbill.billing.domain import SERVICES, Service
from waterbill.calendar import (
    Window,
    YearMonth,
    baku_month,
)

ZERO = Decimal("0.00")
ZERO_M3 = Decimal("0.000")

ESTIMATED_BASES = frozenset({"norm", "estimate"})
BalanceKind = Literal["debt", "advance", "settled"]


@dataclass(frozen=True, slots=True)
class Address:
    region: str
    city: str
    district: str
    street: str
    building: str
    apartment: str | None

    @property
    def text(self) -> str:
        """One line as Azərsu prints it: ``Bakı, Nəsimi r., Füzuli küç. 12, m. 34``."""
        parts = [self.region] if self.city in ("", self.region) else [self.region, self.city]
        if self.district:
            parts.append(f"{self.district} r.")
        parts.append(" ".join(part for part in (self.street, self.building) if part))
        if self.apartment:
            parts.append(f"m. {self.apartment}")
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class Subscriber:
    code: str
    holder_fin: str
    surname: str
    name: str
    patronymic: str
    address: Address
    persons_served: int | None
    water_service: bool
    wastewater_service: bool
    meter_type: str
    tariff_zone: str
    category: str
    status: str

    @property
    def services(self) -> tuple[Service, ...]:
        flags = {"water": self.water_service, "wastewater": self.wastewater_service}
        return tuple(service for service in SERVICES if flags[service])

    @property
    def is_household(self) -> bool:
        return self.category == "population"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """The current version of one invoice line, with the amount of the version it replaced."""

    period: YearMonth
    service: Service
    consumption_m3: Decimal
    tariff: Decimal
    amount: Decimal
    basis: str
    amount_before_recalculation: Decimal | None = None

    @property
    def recalculated(self) -> bool:
        return self.amount_before_recalculation is not None


@dataclass(frozen=True, slots=True)
class Payment:
    paid_at: datetime
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BillingHistory:
    """What the store returns for one subscriber and one window."""

    subscriber: Subscriber
    window: Window
    invoices: Sequence[InvoiceLine]
    payments: Sequence[Payment]
    invoiced_before: Decimal
    paid_before: Decimal


@dataclass(frozen=True, slots=True)
class MonthLine:
    period: YearMonth
    water: InvoiceLine | None
    wastewater: InvoiceLine | None
    paid: Decimal

    @property
    def lines(self) -> tuple[InvoiceLine, ...]:
        return tuple(line for line in (self.water, self.wastewater) if line is not None)

    @property
    def billed(self) -> bool:
        return bool(self.lines)

    @property
    def consumption_m3(self) -> Decimal:
        return sum((line.consumption_m3 for line in self.lines), ZERO_M3)

    @property
    def invoiced(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def recalculated(self) -> bool:
        return any(line.recalculated for line in self.lines)

    @property
    def amount_before_recalculation(self) -> Decimal | None:
        if not self.recalculated:
            return None
        return sum(
            (
                line.amount
                if line.amount_before_recalculation is None
                else line.amount_before_recalculation
                for line in self.lines
            ),
            ZERO,
        )

    @property
    def estimated(self) -> bool:
        return any(line.basis in ESTIMATED_BASES for line in self.lines)


@dataclass(frozen=True, slots=True)
class Totals:
    consumption_m3: Decimal
    invoiced: Decimal
    paid: Decimal


@dataclass(frozen=True, slots=True)
class Statement:
    subscriber: Subscriber
    as_of: date
    reporting_period: YearMonth | None
    months: tuple[MonthLine, ...]
    totals: Totals
    opening_balance: Decimal
    masked: bool = False
    masked_reason: str | None = None

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.totals.invoiced - self.totals.paid

    @property
    def balance_kind(self) -> BalanceKind:
        closing = self.closing_balance
        if closing > 0:
            return "debt"
        if closing < 0:
            return "advance"
        return "settled"


def _sum(values: Iterable[Decimal], start: Decimal = ZERO) -> Decimal:
    return sum(values, start)


def build_statement(history: BillingHistory) -> Statement:
    """Lay the history out over the window; a month without an invoice is "not billed"."""
    window = history.window
    in_window = set(window.months)
    by_month: dict[YearMonth, dict[str, InvoiceLine]] = {month: {} for month in window.months}
    for line in history.invoices:
        if line.period in in_window:
            by_month[line.period][line.service] = line

    paid: dict[YearMonth, Decimal] = dict.fromkeys(window.months, ZERO)
    for payment in history.payments:
        month = baku_month(payment.paid_at)
        if month in in_window and payment.paid_at < window.payments_until:
            paid[month] += payment.amount

    months = tuple(
        MonthLine(
            period=month,
            water=by_month[month].get("water"),
            wastewater=by_month[month].get("wastewater"),
            paid=paid[month],
        )
        for month in window.months
    )
    billed = [month for month in months if month.billed]
    totals = Totals(
        consumption_m3=_sum((month.consumption_m3 for month in billed), ZERO_M3),
        invoiced=_sum(month.invoiced for month in billed),
        paid=_sum(month.paid for month in months),
    )
    return Statement(
        subscriber=history.subscriber,
        as_of=window.as_of,
        reporting_period=billed[-1].period if billed else None,
        months=months,
        totals=totals,
        opening_balance=history.invoiced_before - history.paid_before,
    )


def mask_statement(statement: Statement, *, reason: str) -> Statement:
    """What someone who is not the holder needs to pay the bill, and no more (personal-data law,
    art. 7.1.3): the amount due on the right account.

    The name becomes initials (``Q. H.``), the address its city and district, the number of
    persons served is hidden; ``reason`` (a stable code) says why. The months, the totals and the
    opening balance go too: a household billed by the norm is billed persons × norm × tariff, so
    its consumption and any invoiced amount, a month's or the year's, tell how many live there;
    the payments tell when and how much the household pays; a recalculation tells of a dispute
    or a faulty meter. Only the closing balance stays (``opening_balance`` is set to it and the
    totals to zero, so ``closing_balance`` still reads it); ``masked`` tells every rendering to
    show it alone.
    """
    subscriber = statement.subscriber
    address = subscriber.address
    masked_subscriber = replace(
        subscriber,
        holder_fin="",
        surname=_initial(subscriber.surname),
        name=_initial(subscriber.name),
        patronymic="",
        address=Address(
            region="",
            city=address.city or address.region,
            district=address.district,
            street="",
            building="",
            apartment=None,
        ),
        persons_served=None,
    )
    return replace(
        statement,
        subscriber=masked_subscriber,
        months=(),
        totals=Totals(consumption_m3=ZERO_M3, invoiced=ZERO, paid=ZERO),
        opening_balance=statement.closing_balance,
        masked=True,
        masked_reason=reason,
    )


def _initial(word: str) -> str:
    word = word.strip()
    return f"{word[0]}." if word else ""
