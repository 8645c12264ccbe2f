"""Every query of the certificates, in one place. Returns domain values, never rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, insert, select, update

from waterbill.billing.tables import payments, subscribers
from waterbill.certificates.tables import certificates
from waterbill.statement.domain import ZERO


def lock_subscriber(db: Connection, code: str) -> None:
    """Hold the subscriber's row until the transaction ends, before its balance is read.

    PostgreSQL: ``FOR UPDATE`` conflicts with the ``FOR KEY SHARE`` lock that the foreign key
    check of every new payment or invoice of this subscriber takes (and that a recalculation takes
    explicitly, ``ingest.repository.merge_staged_invoices``), held by the writer until it commits.
    So a writer either committed before this lock was granted (and, under READ COMMITTED, the
    next statement sees it), or waits here until the certificate is committed. SQLite has one
    writer at a time: a write to the row (changing nothing) takes the database's write lock now.
    """
    if db.dialect.name == "postgresql":
        db.execute(select(subscribers.c.id).where(subscribers.c.code == code).with_for_update())
    else:
        db.execute(
            update(subscribers).where(subscribers.c.code == code).values(code=subscribers.c.code)
        )


def counted_payments(db: Connection, *, code: str, until: datetime) -> list[int]:
    """The ids of the payments and reversals of ``code`` that a balance read now counts (those
    made before ``until``); under the subscriber's lock, no other can be committed meanwhile."""
    query = (
        select(payments.c.id)
        .join(subscribers, subscribers.c.id == payments.c.subscriber_id)
        .where(subscribers.c.code == code, payments.c.paid_at < until)
        .order_by(payments.c.id)
    )
    return list(db.scalars(query))


def add(
    db: Connection,
    *,
    code: str,
    subscriber_code: str,
    as_of: date,
    valid_until: date,
    balance: Decimal,
    payments_counted: list[int],
    issued_to: str,
    file: bytes,
) -> None:
    db.execute(
        insert(certificates).values(
            code=code,
            kind="no_debt",
            subscriber_code=subscriber_code,
            as_of=as_of,
            valid_until=valid_until,
            balance=balance,
            payments_counted=json.dumps(payments_counted),
            issued_to=issued_to,
            file=file,
        )
    )


@dataclass(frozen=True, slots=True)
class StoredFile:
    subscriber_code: str
    issued_to: str
    file: bytes


def file_of(db: Connection, code: str) -> StoredFile | None:
    """The PDF of the certificate issued under ``code``, and to whom and for which account."""
    c = certificates.c
    row = db.execute(
        select(c.subscriber_code, c.issued_to, c.file).where(c.code == code)
    ).one_or_none()
    return None if row is None else StoredFile(row.subscriber_code, row.issued_to, bytes(row.file))


def later_reversals(db: Connection, code: str) -> Decimal | None:
    """How much the reversals the certificate did not count took back of payments it counted;
    None when no certificate was issued under ``code``."""
    row = db.execute(
        select(certificates.c.subscriber_code, certificates.c.payments_counted).where(
            certificates.c.code == code
        )
    ).one_or_none()
    if row is None:
        return None
    counted = set(json.loads(row.payments_counted))
    reversal = payments.alias("reversal")
    target = payments.alias("target")
    query = (
        select(reversal.c.id, reversal.c.amount, target.c.id.label("target_id"))
        .join(subscribers, subscribers.c.id == reversal.c.subscriber_id)
        .join(
            target,
            and_(
                target.c.channel == reversal.c.channel,
                target.c.payment_id == reversal.c.reverses,
            ),
        )
        .where(subscribers.c.code == row.subscriber_code)
    )
    return sum(
        (
            -amount
            for reversal_id, amount, target_id in db.execute(query)
            if reversal_id not in counted and target_id in counted
        ),
        ZERO,
    )
