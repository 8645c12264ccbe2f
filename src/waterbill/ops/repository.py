"""Queries of the operations area: the maintenance row and the data-freshness probes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from waterbill.billing.tables import invoices, payments
from waterbill.ops.tables import maintenance

_ROW = 1


def read_maintenance(db: Connection) -> tuple[datetime, str | None, datetime] | None:
    row = db.execute(
        select(maintenance.c.until, maintenance.c.message, maintenance.c.announced_at).where(
            maintenance.c.id == _ROW
        )
    ).first()
    return None if row is None else (row.until, row.message, row.announced_at)


def save_maintenance(
    db: Connection, *, until: datetime, message: str | None, announced_at: datetime
) -> None:
    values = {"until": until, "message": message, "announced_at": announced_at}
    changed = db.execute(update(maintenance).where(maintenance.c.id == _ROW).values(**values))
    if changed.rowcount == 0:
        db.execute(insert(maintenance).values(id=_ROW, **values))


def delete_maintenance(db: Connection) -> bool:
    return db.execute(delete(maintenance).where(maintenance.c.id == _ROW)).rowcount > 0


def newest_invoice_period(db: Connection) -> str | None:
    value: str | None = db.execute(select(func.max(invoices.c.period))).scalar_one()
    return value


def newest_payment_time(db: Connection) -> datetime | None:
    value: datetime | None = db.execute(select(func.max(payments.c.paid_at))).scalar_one()
    return value
