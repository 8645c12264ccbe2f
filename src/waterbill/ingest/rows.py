"""A feed row of each kind, from text to its typed record, or refused with every problem found.

Pure functions over plain values, with no database access (the choices of a column are the
billing tables' enumerations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from waterbill.billing.domain import SERVICES
from waterbill.billing.tables import (
    BASES,
    CATEGORIES,
    METER_TYPES,
    STATUSES,
    TARIFF_ZONES,
)
from waterbill.calendar import YearMonth, baku_date
from waterbill.i18n.marker import _
from waterbill.identifiers import CodeLength
from waterbill.ingest.columns import (
    CHANNEL_LENGTH,
    INVOICE_NO_LENGTH,
    PAYMENT_AMOUNT,
    PAYMENT_ID_LENGTH,
    PERSONS_SERVED,
    SUBSCRIBER_TEXTS,
    Kind,
)
from waterbill.ingest.fields import Fields
from waterbill.ingest.payments import check_payment
from waterbill.ingest.records import InvoiceRecord, PaymentRecord, SubscriberRecord


def parse_subscriber(
    values: Mapping[str, str | None], *, code_length: CodeLength, now: datetime
) -> SubscriberRecord:
    fields = Fields(values)
    today = baku_date(now)
    record = dict(
        code=fields.code("subscriber_code", code_length),
        holder_fin=fields.fin("holder_fin"),
        surname=fields.text("surname", SUBSCRIBER_TEXTS["surname"]),
        name=fields.text("name", SUBSCRIBER_TEXTS["name"]),
        patronymic=fields.text("patronymic", SUBSCRIBER_TEXTS["patronymic"]) or "",
        region=fields.text("region", SUBSCRIBER_TEXTS["region"]),
        city=fields.text("city", SUBSCRIBER_TEXTS["city"]),
        district=fields.text("district", SUBSCRIBER_TEXTS["district"]) or "",
        street=fields.text("street", SUBSCRIBER_TEXTS["street"]),
        building=fields.text("building", SUBSCRIBER_TEXTS["building"]),
        apartment=fields.text("apartment", SUBSCRIBER_TEXTS["apartment"]),
        persons_served=fields.integer("persons_served", *PERSONS_SERVED),
        water_service=fields.boolean("water_service"),
        wastewater_service=fields.boolean("wastewater_service"),
        meter_type=fields.choice("meter_type", METER_TYPES),
        meter_serial=fields.text("meter_serial", SUBSCRIBER_TEXTS["meter_serial"]),
        tariff_zone=fields.choice("tariff_zone", TARIFF_ZONES),
        category=fields.choice("category", CATEGORIES),
        status=fields.choice("status", STATUSES),
        opened_on=fields.day("opened_on", today),
    )
    fields.done()
    return SubscriberRecord(**record)  # type: ignore[arg-type]


def parse_invoice(
    values: Mapping[str, str | None], *, code_length: CodeLength, now: datetime
) -> InvoiceRecord:
    fields = Fields(values)
    today = baku_date(now)
    record = dict(
        invoice_no=fields.text("invoice_no", INVOICE_NO_LENGTH),
        subscriber_code=fields.code("subscriber_code", code_length),
        period=fields.period("period", today),
        service=fields.choice("service", SERVICES),
        previous_reading=fields.number("previous_reading"),
        current_reading=fields.number("current_reading"),
        consumption_m3=fields.number("consumption_m3"),
        tariff=fields.number("tariff"),
        amount=fields.number("amount"),
        basis=fields.choice("basis", BASES),
        issued_on=fields.day("issued_on", today),
    )
    previous, current = values.get("previous_reading"), values.get("current_reading")
    # Readings are optional on every line: consumption, tariff and amount make the bill, and
    # refusing one drops a debt the citizen really owes. Billing systems often export readings
    # apart, and a wastewater line has none of its own (its volume is the water meter's). An
    # estimate may carry the last reading alone (the meter was not read); otherwise both or neither.
    estimate_without_reading = record["basis"] == "estimate" and current is None
    if (previous is None) != (current is None) and not estimate_without_reading:
        fields.fail(
            "previous_reading" if previous is None else "current_reading",
            _("give both meter readings or neither"),
        )
    period, issued_on = record["period"], record["issued_on"]
    if (
        isinstance(period, str)
        and isinstance(issued_on, date)
        and issued_on < YearMonth.parse(period).first_day
    ):
        fields.fail("issued_on", _("an invoice cannot be issued before its period begins"))
    fields.done()
    return InvoiceRecord(**record)  # type: ignore[arg-type]


def parse_payment(
    values: Mapping[str, str | None], *, code_length: CodeLength, now: datetime
) -> PaymentRecord:
    """A payment row of a file: text to types, then the same checks as the real-time intake."""
    fields = Fields(values)
    channel = fields.text("channel", CHANNEL_LENGTH)
    payment_id = fields.text("payment_id", PAYMENT_ID_LENGTH)
    code = fields.raw("subscriber_code")
    paid_at = fields.instant("paid_at")
    places, integer_digits, negative = PAYMENT_AMOUNT
    amount = fields.decimal(
        "amount", places=places, integer_digits=integer_digits, negative=negative
    )
    reverses = fields.text("reverses", PAYMENT_ID_LENGTH)
    fields.done()
    # done() has raised unless every required value is present.
    assert channel is not None
    assert payment_id is not None
    assert code is not None
    assert paid_at is not None
    assert amount is not None
    return check_payment(
        channel=channel,
        payment_id=payment_id,
        subscriber_code=code,
        paid_at=paid_at,
        amount=amount,
        reverses=reverses,
        code_length=code_length,
        now=now,
    )


PARSERS: dict[Kind, Callable[..., Any]] = {
    "subscribers": parse_subscriber,
    "invoices": parse_invoice,
    "payments": parse_payment,
}
