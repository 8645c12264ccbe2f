"""The typed records a feed row becomes once the rules accept it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SubscriberRecord:
    code: str
    holder_fin: str
    surname: str
    name: str
    patronymic: str
    region: str
    city: str
    district: str
    street: str
    building: str
    apartment: str | None
    persons_served: int
    water_service: bool
    wastewater_service: bool
    meter_type: str
    meter_serial: str | None
    tariff_zone: str
    category: str
    status: str
    opened_on: date


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    invoice_no: str
    subscriber_code: str
    period: str
    service: str
    previous_reading: Decimal | None
    current_reading: Decimal | None
    consumption_m3: Decimal
    tariff: Decimal
    amount: Decimal
    basis: str
    issued_on: date

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subscriber_code, self.period, self.service)


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    channel: str
    payment_id: str
    subscriber_code: str
    paid_at: datetime
    amount: Decimal
    reverses: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.payment_id)


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """What the store already holds under a payment id, to judge a new row against it."""

    subscriber_code: str
    paid_at: datetime
    amount: Decimal
    reverses: str | None
    # What the reversals of this payment already take back (a positive sum).
    reversed: Decimal = Decimal(0)
