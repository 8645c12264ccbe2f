"""Statements built in memory, through the real ``build_statement``, for presentation tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from waterbill.calendar import Window, YearMonth
from waterbill.statement.domain import (
    Address,
    BillingHistory,
    InvoiceLine,
    Payment,
    Statement,
    Subscriber,
    build_statement,
)

AS_OF = date(2026, 11, 26)
WATER_TARIFF = Decimal("0.70")
WASTEWATER_TARIFF = Decimal("0.30")


def subscriber(**overrides: object) -> Subscriber:
    values: dict[str, object] = {
        "code": "0104410203",
        "holder_fin": "5ZK3LRT",
        "surname": "Hüseynov",
        "name": "Qorxmaz",
        "patronymic": "Əli oğlu",
        "address": Address("Bakı", "Bakı", "Nəsimi", "Füzuli küç.", "12", "34"),
        "persons_served": 4,
        "water_service": True,
        "wastewater_service": True,
        "meter_type": "mechanical",
        "tariff_zone": "baku_absheron",
        "category": "population",
        "status": "active",
    }
    values.update(overrides)
    return Subscriber(**values)  # type: ignore[arg-type]


def line(
    period: str,
    m3: str,
    service: str = "water",
    *,
    tariff: Decimal | None = None,
    basis: str = "meter",
    before: str | None = None,
) -> InvoiceLine:
    rate = tariff or (WATER_TARIFF if service == "water" else WASTEWATER_TARIFF)
    volume = Decimal(m3).quantize(Decimal("0.001"))
    return InvoiceLine(
        period=YearMonth.parse(period),
        service=service,  # type: ignore[arg-type]
        consumption_m3=volume,
        tariff=rate,
        amount=(volume * rate).quantize(Decimal("0.01")),
        basis=basis,
        amount_before_recalculation=Decimal(before) if before is not None else None,
    )


def both(period: str, m3: str, **options: object) -> list[InvoiceLine]:
    """The water and the wastewater line of one month, the same volume on both."""
    return [
        line(period, m3, "water", **options),  # type: ignore[arg-type]
        line(period, m3, "wastewater", **options),  # type: ignore[arg-type]
    ]


def monthly(volumes: list[str | None], first: str = "2025-12") -> list[InvoiceLine]:
    """Water and wastewater for consecutive months; None leaves a month unbilled."""
    start = YearMonth.parse(first)
    lines: list[InvoiceLine] = []
    for offset, m3 in enumerate(volumes):
        if m3 is not None:
            lines += both(str(start.shift(offset)), m3)
    return lines


def statement(
    invoices: list[InvoiceLine],
    payments: list[tuple[str, str]] = (),  # type: ignore[assignment]
    *,
    opening: str = "0.00",
    **subscriber_overrides: object,
) -> Statement:
    return build_statement(
        BillingHistory(
            subscriber=subscriber(**subscriber_overrides),
            window=Window.ending(AS_OF),
            invoices=invoices,
            payments=[
                Payment(datetime.fromisoformat(at).replace(tzinfo=UTC), Decimal(amount))
                for at, amount in payments
            ],
            invoiced_before=Decimal(opening),
            paid_before=Decimal("0.00"),
        )
    )
