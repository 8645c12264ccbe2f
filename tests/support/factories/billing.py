"""Realistic rows for tests: a Baku household by default, every field overridable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from waterbill import clock
from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.calendar import YearMonth

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def months_ago(count: int) -> str:
    """The Baku month ``count`` months before the clock's: in the 12-month window for 0..11."""
    return str(YearMonth.of(clock.today()).shift(-count))


def add_subscriber(db: Connection, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "code": "0104410203",
        "holder_fin": "5ZK3LRT",
        "surname": "Hüseynov",
        "name": "Qorxmaz",
        "patronymic": "Əli oğlu",
        "region": "Bakı",
        "city": "Bakı",
        "district": "Nəsimi",
        "street": "Füzuli küç.",
        "building": "12",
        "apartment": "34",
        "persons_served": 4,
        "water_service": True,
        "wastewater_service": True,
        "meter_type": "mechanical",
        "meter_serial": "MX-204518",
        "tariff_zone": "baku_absheron",
        "category": "population",
        "status": "active",
        "opened_on": date(2015, 3, 1),
        "updated_at": NOW,
    }
    values.update(overrides)
    return int(
        db.execute(insert(subscribers).values(**values).returning(subscribers.c.id)).scalar_one()
    )


def add_invoice(
    db: Connection,
    subscriber_id: int,
    period: str,
    service: str = "water",
    consumption: str = "7.000",
    tariff: str | None = None,
    basis: str = "meter",
    **overrides: Any,
) -> int:
    tariff = tariff or ("0.70" if service == "water" else "0.30")
    amount = (Decimal(consumption) * Decimal(tariff)).quantize(Decimal("0.01"))
    values: dict[str, Any] = {
        "invoice_no": f"{period.replace('-', '')}-{subscriber_id:08d}",
        "subscriber_id": subscriber_id,
        "period": period,
        "service": service,
        "consumption_m3": Decimal(consumption),
        "tariff": Decimal(tariff),
        "amount": amount,
        "basis": basis,
        "issued_on": date(int(period[:4]), int(period[5:]), 1),
        "updated_at": NOW,
    }
    values.update(overrides)
    return int(db.execute(insert(invoices).values(**values).returning(invoices.c.id)).scalar_one())


def recalculate(db: Connection, invoice_id: int, *, amount: str, consumption: str) -> None:
    """Replace an invoice's figures the way the importer does, keeping the old version."""
    old = db.execute(select(invoices).where(invoices.c.id == invoice_id)).one()
    db.execute(
        insert(invoice_revisions).values(
            invoice_id=invoice_id,
            invoice_no=old.invoice_no,
            previous_reading=old.previous_reading,
            current_reading=old.current_reading,
            consumption_m3=old.consumption_m3,
            tariff=old.tariff,
            amount=old.amount,
            basis=old.basis,
            issued_on=old.issued_on,
            replaced_at=NOW,
        )
    )
    db.execute(
        invoices.update()
        .where(invoices.c.id == invoice_id)
        .values(amount=Decimal(amount), consumption_m3=Decimal(consumption), basis="meter")
    )


def add_payment(
    db: Connection,
    subscriber_id: int,
    paid_at: datetime,
    amount: str,
    channel: str = "bank",
    payment_id: str | None = None,
    reverses: str | None = None,
) -> None:
    db.execute(
        insert(payments).values(
            channel=channel,
            payment_id=payment_id or f"P-{subscriber_id}-{paid_at.isoformat()}-{amount}",
            subscriber_id=subscriber_id,
            paid_at=paid_at,
            amount=Decimal(amount),
            reverses=reverses,
            received_at=paid_at,
        )
    )
