"""Every query the statement needs, in one place. Returns domain values, never rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from waterbill.billing.tables import invoice_revisions, invoices, payments, subscribers
from waterbill.calendar import Window, YearMonth
from waterbill.db.types import UTCDateTime
from waterbill.statement.domain import (
    ZERO,
    Address,
    BillingHistory,
    InvoiceLine,
    Payment,
    Subscriber,
)

_INVOICE, _PAYMENT, _SUBSCRIBER = "i", "p", "s"

_SUBSCRIBER_COLUMNS = (
    subscribers.c.id,
    subscribers.c.code,
    subscribers.c.holder_fin,
    subscribers.c.surname,
    subscribers.c.name,
    subscribers.c.patronymic,
    subscribers.c.region,
    subscribers.c.city,
    subscribers.c.district,
    subscribers.c.street,
    subscribers.c.building,
    subscribers.c.apartment,
    subscribers.c.persons_served,
    subscribers.c.water_service,
    subscribers.c.wastewater_service,
    subscribers.c.meter_type,
    subscribers.c.tariff_zone,
    subscribers.c.category,
    subscribers.c.status,
)


# Built once: constructing a statement costs more Python time than running it (a profile under load
# showed it); the compiled form is then found in SQLAlchemy's cache by the same object.
_FIND_SUBSCRIBER = select(*_SUBSCRIBER_COLUMNS).where(subscribers.c.code == bindparam("code"))


def find_subscriber(db: Connection, code: str) -> tuple[int, Subscriber] | None:
    row = db.execute(_FIND_SUBSCRIBER, {"code": code}).one_or_none()
    if row is None:
        return None
    return row.id, _subscriber(row)


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        code=row.code,
        holder_fin=row.holder_fin,
        surname=row.surname,
        name=row.name,
        patronymic=row.patronymic,
        address=Address(
            region=row.region,
            city=row.city,
            district=row.district,
            street=row.street,
            building=row.building,
            apartment=row.apartment,
        ),
        persons_served=row.persons_served,
        water_service=bool(row.water_service),
        wastewater_service=bool(row.wastewater_service),
        meter_type=row.meter_type,
        tariff_zone=row.tariff_zone,
        category=row.category,
        status=row.status,
    )


def codes_held_by(db: Connection, fin: str) -> list[str]:
    """The subscriber codes whose holder is this citizen, for a one-click choice."""
    query = (
        select(subscribers.c.code)
        .where(subscribers.c.holder_fin == fin)
        .order_by(subscribers.c.code)
    )
    return list(db.scalars(query))


def _statement_query() -> CompoundSelect[Any]:
    """The subscriber, the window's invoices and payments, and the balance brought forward.

    One UNION ALL, one round trip: at national scale a statement costs mostly round trips
    (docs/benchmarks.md), not the work each query does. Every branch finds the subscriber by its
    unique code (an index lookup each); a join would let SQLite's planner scan a whole table.
    The subscriber's row also carries the balance brought forward; the other rows leave its
    columns empty. Every branch has the same columns, and the first one's types decode the rows
    on both engines, so it is the invoices' branch.
    """
    subscriber_id = (
        select(subscribers.c.id).where(subscribers.c.code == bindparam("code")).scalar_subquery()
    )
    # The version just replaced by the latest recalculation: the newest revision of the invoice.
    latest_revision = (
        select(invoice_revisions.c.amount)
        .where(invoice_revisions.c.invoice_id == invoices.c.id)
        .order_by(invoice_revisions.c.replaced_at.desc(), invoice_revisions.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    invoiced_before = (
        select(func.coalesce(func.sum(invoices.c.amount), ZERO))
        .where(invoices.c.subscriber_id == subscribers.c.id, invoices.c.period < bindparam("first"))
        .scalar_subquery()
    )
    paid_before = (
        select(func.coalesce(func.sum(payments.c.amount), ZERO))
        .where(
            payments.c.subscriber_id == subscribers.c.id,
            payments.c.paid_at < bindparam("starts_at"),
        )
        .scalar_subquery()
    )
    # Typed: PostgreSQL matches a UNION's column types branch by branch, left to right.
    no_subscriber = [
        cast(null(), column.type).label(column.name) for column in _SUBSCRIBER_COLUMNS[1:]
    ]
    invoice_part = select(
        literal(_INVOICE).label("kind"),
        invoices.c.period,
        invoices.c.service,
        invoices.c.consumption_m3,
        invoices.c.tariff,
        invoices.c.amount,
        invoices.c.basis,
        latest_revision.label("amount_before"),
        cast(null(), UTCDateTime()).label("paid_at"),
        *no_subscriber,
    ).where(
        invoices.c.subscriber_id == subscriber_id,
        invoices.c.period.between(bindparam("first"), bindparam("last")),
    )
    payment_part = select(
        literal(_PAYMENT),
        *[null()] * 4,
        payments.c.amount,
        null(),
        null(),
        payments.c.paid_at,
        *no_subscriber,
    ).where(
        payments.c.subscriber_id == subscriber_id,
        payments.c.paid_at >= bindparam("starts_at"),
        payments.c.paid_at < bindparam("until"),
    )
    # Invoiced before the window in "amount", paid before it in "amount_before".
    subscriber_part = select(
        literal(_SUBSCRIBER),
        *[null()] * 4,
        invoiced_before,
        null(),
        paid_before,
        null(),
        *_SUBSCRIBER_COLUMNS[1:],
    ).where(subscribers.c.code == bindparam("code"))
    return union_all(invoice_part, payment_part, subscriber_part)


_STATEMENT = _statement_query()


def load_history(db: Connection, *, code: str, window: Window) -> BillingHistory | None:
    """Everything the statement of ``code`` shows for ``window``; None for an unknown code."""
    rows = db.execute(
        _STATEMENT,
        {
            "code": code,
            "first": str(window.first),
            "last": str(window.last),
            "starts_at": window.starts_at,
            "until": window.payments_until,
        },
    ).all()

    subscriber: Subscriber | None = None
    invoice_lines: list[InvoiceLine] = []
    payment_list: list[Payment] = []
    invoiced, paid = ZERO, ZERO
    for row in rows:
        if row.kind == _INVOICE:
            invoice_lines.append(
                InvoiceLine(
                    period=YearMonth.parse(row.period),
                    service=row.service,
                    consumption_m3=row.consumption_m3,
                    tariff=row.tariff,
                    amount=row.amount,
                    basis=row.basis,
                    amount_before_recalculation=row.amount_before,
                )
            )
        elif row.kind == _PAYMENT:
            payment_list.append(Payment(paid_at=row.paid_at, amount=row.amount))
        else:
            subscriber = _subscriber(row)
            invoiced, paid = _money(row.amount), _money(row.amount_before)
    if subscriber is None:
        return None
    return BillingHistory(
        subscriber=subscriber,
        window=window,
        invoices=invoice_lines,
        payments=payment_list,
        invoiced_before=invoiced,
        paid_before=paid,
    )


def _money(value: object) -> Decimal:
    # A SUM over the scaled-integer type comes back as Decimal; COALESCE's literal zero may not.
    return Decimal(str(value)).quantize(ZERO) if value is not None else ZERO
