"""The statement as JSON (see contract.md): money and volumes as fixed-decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from waterbill.statement.domain import InvoiceLine, MonthLine, Statement

_CENT = Decimal("0.01")
_LITRE = Decimal("0.001")


def money(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def volume(value: Decimal) -> str:
    return str(value.quantize(_LITRE))


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class AddressOut(_Out):
    region: str
    city: str
    district: str
    street: str
    building: str
    apartment: str | None
    text: str


class SubscriberOut(_Out):
    code: str
    surname: str
    name: str
    patronymic: str
    address: AddressOut
    persons_served: int | None
    services: list[Literal["water", "wastewater"]]
    meter_type: Literal["none", "mechanical", "smart_card"]
    status: Literal["active", "closed"]


class ServiceChargeOut(_Out):
    consumption_m3: str
    amount: str
    basis: Literal["meter", "norm", "estimate"]


class MonthOut(_Out):
    period: str
    billed: bool
    water: ServiceChargeOut | None
    wastewater: ServiceChargeOut | None
    consumption_m3: str
    invoiced: str
    paid: str
    recalculated: bool
    amount_before_recalculation: str | None
    estimated: bool


class TotalsOut(_Out):
    consumption_m3: str
    invoiced: str
    paid: str


class StatementOut(_Out):
    subscriber: SubscriberOut
    masked: bool
    masked_reason: str | None = None
    as_of: str
    reporting_period: str | None
    # Masked: no months, and totals and opening_balance null; the amount due alone stays.
    months: list[MonthOut]
    totals: TotalsOut | None
    opening_balance: str | None
    closing_balance: str
    balance_kind: Literal["debt", "advance", "settled"]

    @classmethod
    def from_statement(cls, statement: Statement) -> StatementOut:
        subscriber = statement.subscriber
        address = subscriber.address
        return cls(
            subscriber=SubscriberOut(
                code=subscriber.code,
                surname=subscriber.surname,
                name=subscriber.name,
                patronymic=subscriber.patronymic,
                address=AddressOut(
                    region=address.region,
                    city=address.city,
                    district=address.district,
                    street=address.street,
                    building=address.building,
                    apartment=address.apartment,
                    text=address.text,
                ),
                persons_served=subscriber.persons_served,
                services=list(subscriber.services),
                meter_type=subscriber.meter_type,
                status=subscriber.status,
            ),
            masked=statement.masked,
            masked_reason=statement.masked_reason,
            as_of=statement.as_of.isoformat(),
            reporting_period=str(statement.reporting_period)
            if statement.reporting_period
            else None,
            months=[_month(month) for month in statement.months],
            totals=None
            if statement.masked
            else TotalsOut(
                consumption_m3=volume(statement.totals.consumption_m3),
                invoiced=money(statement.totals.invoiced),
                paid=money(statement.totals.paid),
            ),
            opening_balance=None if statement.masked else money(statement.opening_balance),
            closing_balance=money(statement.closing_balance),
            balance_kind=statement.balance_kind,
        )


def _charge(line: InvoiceLine | None) -> ServiceChargeOut | None:
    if line is None:
        return None
    return ServiceChargeOut(
        consumption_m3=volume(line.consumption_m3),
        amount=money(line.amount),
        basis=line.basis,
    )


def _month(month: MonthLine) -> MonthOut:
    before = month.amount_before_recalculation
    return MonthOut(
        period=str(month.period),
        billed=month.billed,
        water=_charge(month.water),
        wastewater=_charge(month.wastewater),
        consumption_m3=volume(month.consumption_m3),
        invoiced=money(month.invoiced),
        paid=money(month.paid),
        recalculated=month.recalculated,
        amount_before_recalculation=money(before) if before is not None else None,
        estimated=month.estimated,
    )
