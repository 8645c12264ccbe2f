"""Every query of the ingest area. Staging tables, set-based upserts, channel keys.

On PostgreSQL a batch is COPYed into a temporary staging table and merged with a few set-based
statements; on SQLite the same statements run over a temporary table filled by executemany.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from waterbill.billing.tables import (
    Id,
    invoice_revisions,
    invoices,
    payments,
    subscribers,
)
from waterbill.db.types import UTCDateTime, money
from waterbill.ingest.columns import Kind
from waterbill.ingest.quality import MEDIAN_FACTOR, MEDIAN_MIN_MONTHS
from waterbill.ingest.records import InvoiceRecord, PaymentRecord, StoredPayment, SubscriberRecord
from waterbill.ingest.tables import channels, import_batches
from waterbill.notifications import outbox
from waterbill.notifications.tables import notification_subscriptions

_staging = MetaData()


def _stage(name: str, *columns: Column[Any]) -> Table:
    # A batch's own scratch: the Python path creates and drops it in the batch's transaction,
    # the PostgreSQL path (``bulk.py``) once for its connection, emptied at every commit.
    return Table(
        name,
        _staging,
        Column("line_no", Integer, nullable=False),
        *columns,
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DELETE ROWS",
    )


stage_subscribers = _stage(
    "stage_subscribers",
    *(Column(column.name, column.type) for column in subscribers.c if column.name != "id"),
    # The stored subscriber with this code, and whether the row changes it.
    Column("stored_id", Id, nullable=True),
    Column("changed", Boolean, nullable=True),
)
stage_invoices = _stage(
    "stage_invoices",
    Column("subscriber_code", String(32), nullable=False),
    Column("subscriber_id", Id, nullable=True),
    Column("invoice_id", Id, nullable=True),
    Column("changed", Boolean, nullable=True),
    Column("history_from", String(7), nullable=False),
    *(
        Column(column.name, column.type)
        for column in invoices.c
        if column.name not in {"id", "subscriber_id", "updated_at"}
    ),
)
stage_payments = _stage(
    "stage_payments",
    Column("channel", String(40), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("subscriber_code", String(32), nullable=False),
    Column("subscriber_id", Id, nullable=True),
    Column("paid_at", UTCDateTime, nullable=False),
    Column("amount", money(), nullable=False),
    Column("reverses", String(64), nullable=True),
    # 'new' or 'same' when the SQL of ``bulk.py`` judged the row; NULL: the rules judge it.
    Column("verdict", String(4), nullable=True),
)

_SUBSCRIBER_FIELDS = [c.name for c in subscribers.c if c.name not in {"id", "updated_at"}]
_INVOICE_FIGURES = [
    "invoice_no",
    "previous_reading",
    "current_reading",
    "consumption_m3",
    "tariff",
    "amount",
    "basis",
    "issued_on",
]


def _fill(db: Connection, stage: Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY on PostgreSQL; one executemany on SQLite."""
    stage.create(db)
    _add(db, stage, rows)


def _add(db: Connection, stage: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if db.dialect.name == "postgresql":
        names = list(rows[0])
        raw = db.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            quoted = ", ".join(f'"{name}"' for name in names)
            with cursor.copy(f"COPY {stage.name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
    else:
        db.execute(insert(stage), list(rows))


def _changed_rows(db: Connection, statement: Any) -> int:
    # SQLAlchemy only keeps an INSERT's row count when asked to.
    return int(db.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)


def _statistics_before_revisions(db: Connection) -> None:
    """ANALYZE the invoices before a batch writes invoice revisions, when the table has more
    than doubled since its statistics were taken (so at a log cost while it grows from empty,
    never for a month's feed into a full one, and never for an import that adds no revision).

    PostgreSQL keeps the plan of a foreign-key check for the session, made from the table's
    statistics: made while the invoices were few, the check of each invoice revision would scan
    the whole table. ANALYZE makes it plan that check again. The merges themselves are planned
    per batch (``_STORED_SUBSCRIBERS``), and no other import writes rows whose keys point into
    the table it grows.
    """
    if db.dialect.name != "postgresql":
        return
    stale = db.exec_driver_sql(
        "SELECT pg_relation_size(oid) / current_setting('block_size')::integer > 2 * relpages "
        "FROM pg_class WHERE oid = 'invoices'::regclass"
    ).scalar()
    if stale:
        db.exec_driver_sql("ANALYZE invoices")


@dataclass(frozen=True, slots=True)
class Merge:
    loaded: int
    updated: int
    unchanged: int
    unknown_lines: list[int]


def merge_subscribers(
    db: Connection, records: Sequence[tuple[int, SubscriberRecord]], now: datetime
) -> Merge:
    _fill(db, stage_subscribers, subscriber_rows(records, now))
    merge = merge_staged_subscribers(db, len(records))
    stage_subscribers.drop(db)
    return merge


def subscriber_rows(
    records: Sequence[tuple[int, SubscriberRecord]], now: datetime
) -> list[dict[str, Any]]:
    return [
        {"line_no": line, "updated_at": now, **{f: getattr(r, f) for f in _SUBSCRIBER_FIELDS}}
        for line, r in records
    ]


def merge_staged_subscribers(db: Connection, staged: int) -> Merge:
    """New codes inserted, changed ones updated, from the ``staged`` rows of the stage."""
    s = stage_subscribers.c
    if db.dialect.name == "postgresql":
        db.exec_driver_sql(_STORED_SUBSCRIBERS)
    else:
        db.execute(
            update(stage_subscribers).values(
                stored_id=select(subscribers.c.id)
                .where(subscribers.c.code == s.code)
                .scalar_subquery()
            )
        )
        db.execute(
            update(stage_subscribers)
            .values(
                changed=select(_changed(subscribers.c, s, _SUBSCRIBER_FIELDS))
                .where(subscribers.c.id == s.stored_id)
                .scalar_subquery()
            )
            .where(s.stored_id.is_not(None))
        )
    columns = [*_SUBSCRIBER_FIELDS, "updated_at"]
    updated = 0
    if db.scalar(select(func.count()).where(s.changed.is_(True))):
        updated = _changed_rows(
            db,
            update(subscribers)
            .values({f: s[f] for f in columns})
            .where(subscribers.c.id == s.stored_id, s.changed.is_(True)),
        )
    loaded = _changed_rows(
        db,
        insert(subscribers).from_select(
            columns, select(*(s[f] for f in columns)).where(s.stored_id.is_(None))
        ),
    )
    return Merge(loaded, updated, staged - loaded - updated, [])


def _changed(stored: Any, staged: Any, fields: Sequence[str]) -> Any:
    return or_(*(stored[f].is_distinct_from(staged[f]) for f in fields))


def _changed_sql(stored: str, staged: str, fields: Sequence[str]) -> str:
    return " OR ".join(f"{stored}.{f} IS DISTINCT FROM {staged}.{f}" for f in fields)


# PostgreSQL has no statistics of a staging table, and a target table may have grown since its
# own: left to its estimates it may hash a table of millions of rows for a batch of thousands.
# A batch is always small beside the table, so the lookups below are LATERAL subqueries, which
# it can only run as an index lookup per staged row.
_STORED_SUBSCRIBERS = f"""
    UPDATE stage_subscribers s SET stored_id = found.id, changed = found.changed
    FROM (
        SELECT staged.line_no, stored.id,
               {_changed_sql("stored", "staged", _SUBSCRIBER_FIELDS)} AS changed
        FROM stage_subscribers staged
        CROSS JOIN LATERAL (
            SELECT * FROM subscribers WHERE code = staged.code LIMIT 1
        ) stored
    ) found
    WHERE found.line_no = s.line_no
"""  # noqa: S608


def invoice_rows(records: Sequence[tuple[int, InvoiceRecord, str]]) -> list[dict[str, Any]]:
    return [
        {
            "line_no": line,
            "subscriber_code": r.subscriber_code,
            "history_from": history_from,
            **{f: getattr(r, f) for f in ("period", "service", *_INVOICE_FIGURES)},
        }
        for line, r, history_from in records
    ]


def merge_invoices(
    db: Connection,
    records: Sequence[tuple[int, InvoiceRecord, str]],
    now: datetime,
) -> tuple[Merge, list[tuple[int, Decimal, list[Decimal]]]]:
    """New invoices inserted, changed ones recalculated with the old version kept as a revision.

    Also returns, per row that may be far above its subscriber's median, the row's consumption
    and the earlier months (for the consumption-spike warning).
    """
    _fill(db, stage_invoices, invoice_rows(records))
    merged = merge_staged_invoices(db, len(records), now)
    stage_invoices.drop(db)
    return merged


def merge_staged_invoices(
    db: Connection, staged: int, now: datetime
) -> tuple[Merge, list[tuple[int, Decimal, list[Decimal]]]]:
    """``merge_invoices`` for the ``staged`` rows already in the staging table."""
    s = stage_invoices.c
    db.execute(
        update(stage_invoices)
        .values(
            subscriber_id=select(subscribers.c.id)
            .where(subscribers.c.code == s.subscriber_code)
            .scalar_subquery()
        )
        # Rows staged with their subscriber already (``bulk.take_plain``) keep it.
        .where(s.subscriber_id.is_(None))
    )
    unknown = list(db.scalars(select(s.line_no).where(s.subscriber_id.is_(None))))
    if db.dialect.name == "postgresql":
        histories = [
            (line, consumption, list(history))
            for line, consumption, history in db.exec_driver_sql(
                _STORED_INVOICES,
                {"months": MEDIAN_MIN_MONTHS, "factor": int(MEDIAN_FACTOR)},
            )
        ]
    else:
        histories = _stored_invoices(db)

    recalculated = and_(invoices.c.id == s.invoice_id, s.changed.is_(True))
    updated = 0
    if db.scalar(select(func.count()).where(s.changed.is_(True))):
        # A recalculation changes a balance without a foreign key check on the subscriber, so it
        # takes the lock such a check takes: a no-debt certificate of the account waits for it
        # (``certificates.repository.lock_subscriber``). Ignored by SQLite: one writer at a time.
        db.execute(
            select(subscribers.c.id)
            .where(subscribers.c.id.in_(select(s.subscriber_id).where(s.changed.is_(True))))
            .order_by(subscribers.c.id)
            .with_for_update(read=True, key_share=True)
        )
        _statistics_before_revisions(db)
        revision_columns = ["invoice_id", *_INVOICE_FIGURES, "replaced_at"]
        db.execute(
            insert(invoice_revisions).from_select(
                revision_columns,
                select(
                    invoices.c.id,
                    *(invoices.c[f] for f in _INVOICE_FIGURES),
                    literal(now, UTCDateTime),
                ).where(recalculated),
            )
        )
        updated = _changed_rows(
            db,
            update(invoices)
            .values({**{f: s[f] for f in _INVOICE_FIGURES}, "updated_at": now})
            .where(recalculated),
        )
    insert_columns = ["subscriber_id", "period", "service", *_INVOICE_FIGURES]
    loaded = _changed_rows(
        db,
        insert(invoices).from_select(
            [*insert_columns, "updated_at"],
            select(*(s[f] for f in insert_columns), literal(now, UTCDateTime)).where(
                s.subscriber_id.is_not(None), s.invoice_id.is_(None)
            ),
        ),
    )
    if loaded:
        _notify_new_bills(db, now)
    merge = Merge(loaded, updated, staged - len(unknown) - loaded - updated, unknown)
    return merge, histories


def _notify_new_bills(db: Connection, now: datetime) -> None:
    """The batch's new bills into the notification outbox, in the batch's transaction."""
    s = stage_invoices.c
    new_bills = (
        select(
            s.subscriber_id,
            s.period,
            subscribers.c.code,
            func.min(case((s.basis == "meter", 1), else_=0)).label("metered"),
        )
        .join(subscribers, subscribers.c.id == s.subscriber_id)
        .where(
            s.subscriber_id.is_not(None),
            s.invoice_id.is_(None),
            # Every event goes to a subscription: the others' bills need no grouping.
            s.subscriber_id.in_(select(notification_subscriptions.c.subscriber_id)),
        )
        .group_by(s.subscriber_id, s.period, subscribers.c.code)
        .subquery("new_bills")
    )
    outbox.bills_added(db, new_bills, now)


# Every lookup below is a LATERAL index lookup (see _STORED_SUBSCRIBERS). One per subscriber and
# service of the batch reads the stored months that its rows may need: when there are none, or
# none as late as a row's month, the row has no stored version and is not looked up again. Over
# three times the median of the months before a row is over three times their smallest, and so
# over three times the smallest stored month of its subscriber and service: only rows past that
# coarser mark, then past it for at least half of their own months (of three or more), bring
# those months back for the exact test (``far_above_median``). A stored version sets
# ``invoice_id`` and ``changed``.
_STORED_INVOICES = f"""
    WITH keys AS MATERIALIZED (
        SELECT k.subscriber_id, k.service, m.months, m.smallest, m.latest
        FROM (
            SELECT subscriber_id, service, min(history_from) AS since, max(period) AS until
            FROM stage_invoices WHERE subscriber_id IS NOT NULL
            GROUP BY subscriber_id, service
        ) k
        CROSS JOIN LATERAL (
            SELECT count(*) AS months, min(consumption_m3) AS smallest, max(period) AS latest
            FROM invoices
            WHERE subscriber_id = k.subscriber_id AND service = k.service
              AND period >= k.since AND period <= k.until
        ) m
        WHERE m.months > 0
    ), found AS MATERIALIZED (
        SELECT s.line_no, i.id, {_changed_sql("i", "s", _INVOICE_FIGURES)} AS changed
        FROM stage_invoices s
        JOIN keys k ON k.subscriber_id = s.subscriber_id AND k.service = s.service
             AND k.latest >= s.period
        CROSS JOIN LATERAL (
            SELECT * FROM invoices
            WHERE subscriber_id = s.subscriber_id AND period = s.period AND service = s.service
            LIMIT 1
        ) i
    ), marked AS (
        UPDATE stage_invoices s SET invoice_id = found.id, changed = found.changed
        FROM found WHERE found.line_no = s.line_no
    )
    SELECT s.line_no, s.consumption_m3, ARRAY(
               SELECT consumption_m3 FROM invoices
               WHERE subscriber_id = s.subscriber_id AND service = s.service
                 AND period >= s.history_from AND period < s.period
           )
    FROM stage_invoices s
    JOIN keys k ON k.subscriber_id = s.subscriber_id AND k.service = s.service
         AND k.months >= %(months)s AND s.consumption_m3 > k.smallest * %(factor)s
    CROSS JOIN LATERAL (
        SELECT count(*) AS months,
               count(*) FILTER (WHERE consumption_m3 * %(factor)s < s.consumption_m3) AS below
        FROM invoices
        WHERE subscriber_id = s.subscriber_id AND service = s.service
          AND period >= s.history_from AND period < s.period
    ) h
    -- Over three times the median is over three times at least half of the months.
    WHERE h.months >= %(months)s AND 2 * h.below >= h.months
"""  # noqa: S608


def _stored_invoices(db: Connection) -> list[tuple[int, Decimal, list[Decimal]]]:
    """``_STORED_INVOICES`` in joins, for SQLite, which plans them from its indexes."""
    s = stage_invoices.c
    earlier_months = and_(
        invoices.c.subscriber_id == s.subscriber_id,
        invoices.c.service == s.service,
        invoices.c.period >= s.history_from,
        invoices.c.period < s.period,
    )
    candidates = (
        select(s.line_no)
        .join(invoices, earlier_months)
        .group_by(s.line_no)
        .having(
            func.count() >= MEDIAN_MIN_MONTHS,
            # A plain integer factor: bound with the column's type, SQLite would scale it.
            func.max(s.consumption_m3)
            > func.min(invoices.c.consumption_m3) * literal(int(MEDIAN_FACTOR), Integer),
        )
    )
    history: dict[int, tuple[Decimal, list[Decimal]]] = {}
    for line, consumption, earlier in db.execute(
        select(s.line_no, s.consumption_m3, invoices.c.consumption_m3)
        .join(invoices, earlier_months)
        .where(s.line_no.in_(candidates))
    ):
        history.setdefault(line, (consumption, []))[1].append(earlier)
    same_invoice = and_(
        invoices.c.subscriber_id == s.subscriber_id,
        invoices.c.period == s.period,
        invoices.c.service == s.service,
    )
    db.execute(
        update(stage_invoices)
        .values(invoice_id=invoices.c.id, changed=_changed(invoices.c, s, _INVOICE_FIGURES))
        .where(same_invoice)
    )
    return [(line, consumption, earlier) for line, (consumption, earlier) in history.items()]


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    subscriber_id: int | None
    stored: StoredPayment | None
    reversed_payment: StoredPayment | None
    # The reversed payment when it is a new row of the same batch, with its line.
    batch_target: tuple[int, StoredPayment] | None = None


def _stored(
    code: str | None, paid_at: Any, amount: Any, reverses: Any, reversed_: Any = 0
) -> StoredPayment | None:
    if code is None:
        return None
    return StoredPayment(
        subscriber_code=code,
        paid_at=paid_at,
        amount=amount,
        reverses=reverses,
        reversed=Decimal(str(reversed_ or 0)),
    )


_LOCK_CHUNK = 1000


def lock_reversed_payments(db: Connection, keys: Iterable[tuple[str, str]]) -> None:
    """Hold the stored payments that ``keys`` (channel, payment_id) name until the transaction ends.

    A reversal is judged against what the payment's other reversals already took back; two
    reversals judged at once would each see the other missing. PostgreSQL locks the rows (in one
    order, so two importers never deadlock); SQLite has one writer, and a no-op UPDATE as the
    transaction's first statement makes this transaction that writer before it reads.
    """
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _LOCK_CHUNK):
        chunk = ordered[start : start + _LOCK_CHUNK]
        named = tuple_(payments.c.channel, payments.c.payment_id).in_(chunk)
        if db.dialect.name == "postgresql":
            db.execute(
                select(payments.c.id)
                .where(named)
                .order_by(payments.c.channel, payments.c.payment_id)
                .with_for_update()
            )
        else:
            db.execute(update(payments).where(named).values(reverses=payments.c.reverses))


def _facts_query(source: Any) -> Any:
    """The subscriber, the payment already under this id, and the payment it reverses."""
    stored_sub = subscribers.alias("stored_sub")
    target_sub = subscribers.alias("target_sub")
    stored = payments.alias("stored")
    target = payments.alias("target")
    earlier = payments.alias("earlier_reversal")
    reversed_so_far = (
        select(func.coalesce(func.sum(-earlier.c.amount), 0))
        .where(earlier.c.channel == target.c.channel, earlier.c.reverses == target.c.payment_id)
        .scalar_subquery()
    )
    return (
        select(
            source.c.line_no,
            subscribers.c.id.label("subscriber_id"),
            stored_sub.c.code.label("stored_code"),
            stored.c.paid_at.label("stored_paid_at"),
            stored.c.amount.label("stored_amount"),
            stored.c.reverses.label("stored_reverses"),
            target_sub.c.code.label("target_code"),
            target.c.paid_at.label("target_paid_at"),
            target.c.amount.label("target_amount"),
            target.c.reverses.label("target_reverses"),
            reversed_so_far.label("target_reversed"),
        )
        .select_from(source)
        .outerjoin(subscribers, subscribers.c.code == source.c.subscriber_code)
        .outerjoin(
            stored,
            and_(stored.c.channel == source.c.channel, stored.c.payment_id == source.c.payment_id),
        )
        .outerjoin(stored_sub, stored_sub.c.id == stored.c.subscriber_id)
        .outerjoin(
            target,
            and_(target.c.channel == source.c.channel, target.c.payment_id == source.c.reverses),
        )
        .outerjoin(target_sub, target_sub.c.id == target.c.subscriber_id)
    )


def _facts(row: Any) -> PaymentFacts:
    return PaymentFacts(
        subscriber_id=row.subscriber_id,
        stored=_stored(row.stored_code, row.stored_paid_at, row.stored_amount, row.stored_reverses),
        reversed_payment=_stored(
            row.target_code,
            row.target_paid_at,
            row.target_amount,
            row.target_reverses,
            row.target_reversed,
        ),
    )


def _payment_rows(records: Sequence[tuple[int, PaymentRecord]]) -> list[dict[str, Any]]:
    return [
        {
            "line_no": line,
            "channel": r.channel,
            "payment_id": r.payment_id,
            "subscriber_code": r.subscriber_code,
            "paid_at": r.paid_at,
            "amount": r.amount,
            "reverses": r.reverses,
        }
        for line, r in records
    ]


def payment_facts_batch(
    db: Connection, records: Sequence[tuple[int, PaymentRecord]]
) -> dict[int, PaymentFacts]:
    _fill(db, stage_payments, _payment_rows(records))
    facts = {row.line_no: _facts(row) for row in db.execute(_facts_query(stage_payments))}
    stage_payments.drop(db)
    return facts


def add_staged_payments(db: Connection, records: Sequence[tuple[int, PaymentRecord]]) -> None:
    """Payments the rules read, for the rules to judge (``verdict`` NULL)."""
    _add(db, stage_payments, _payment_rows(records))


def staged_payment_facts(db: Connection) -> dict[int, PaymentFacts]:
    """``payment_facts_batch`` of the staged rows the rules judge; a payment they reverse may
    also be a new row the SQL took from the same batch (``batch_target``)."""
    s = stage_payments
    facts = {
        row.line_no: _facts(row) for row in db.execute(_facts_query(s).where(s.c.verdict.is_(None)))
    }
    batch = stage_payments.alias("batch")
    for row in db.execute(
        select(s.c.line_no, batch.c.line_no.label("target_line"), batch.c.subscriber_code)
        .add_columns(batch.c.paid_at, batch.c.amount)
        .join(
            batch,
            and_(
                batch.c.channel == s.c.channel,
                batch.c.payment_id == s.c.reverses,
                batch.c.verdict == "new",
            ),
        )
        .where(s.c.verdict.is_(None))
    ):
        target = StoredPayment(row.subscriber_code, row.paid_at, row.amount, None)
        facts[row.line_no] = replace(facts[row.line_no], batch_target=(row.target_line, target))
    return facts


def settle_staged_payments(db: Connection, now: datetime) -> tuple[int, int]:
    """Store the staged payments the SQL found new; returns (new, the same as stored)."""
    s = stage_payments.c
    columns = ["channel", "payment_id", "subscriber_id", "paid_at", "amount", "reverses"]
    new = _changed_rows(
        db,
        insert(payments).from_select(
            [*columns, "received_at"],
            select(*(s[c] for c in columns), literal(now, UTCDateTime)).where(s.verdict == "new"),
        ),
    )
    same = db.scalar(select(func.count()).where(s.verdict == "same"))
    return new, int(same or 0)


def staged_new_payment_subscribers(db: Connection) -> set[int]:
    """The subscribers of the staged payments the SQL found new whom somebody wants
    ``payment_posted`` for (``outbox.payments_added`` looks at no other)."""
    s = stage_payments.c
    n = notification_subscriptions.c
    subscribed = select(n.subscriber_id).where(n.event == "payment_posted")
    return set(
        db.scalars(
            select(s.subscriber_id)
            .where(s.verdict == "new", s.subscriber_id.in_(subscribed))
            .distinct()
        )
    )


def payment_facts_one(db: Connection, payment: PaymentRecord) -> PaymentFacts:
    source = select(
        literal(0).label("line_no"),
        literal(payment.channel, String(40)).label("channel"),
        literal(payment.payment_id, String(64)).label("payment_id"),
        literal(payment.subscriber_code, String(32)).label("subscriber_code"),
        literal(payment.reverses, String(64)).label("reverses"),
    ).subquery("incoming")
    return _facts(db.execute(_facts_query(source)).one())


def insert_payments(
    db: Connection, accepted: Iterable[tuple[PaymentRecord, int]], now: datetime
) -> int:
    rows = [
        {
            "channel": p.channel,
            "payment_id": p.payment_id,
            "subscriber_id": subscriber_id,
            "paid_at": p.paid_at,
            "amount": p.amount,
            "reverses": p.reverses,
            "received_at": now,
        }
        for p, subscriber_id in accepted
    ]
    if not rows:
        return 0
    # COPY pays off for a batch; a single payment from a channel is a plain INSERT.
    if db.dialect.name == "postgresql" and len(rows) > 1:
        raw = db.connection.driver_connection
        assert raw is not None
        names = list(rows[0])
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY payments ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[name] for name in names])
    else:
        db.execute(insert(payments), rows)
    return len(rows)


def stored_payment_row(db: Connection, channel: str, payment_id: str) -> Any:
    return db.execute(
        select(payments, subscribers.c.code.label("subscriber_code"))
        .join(subscribers, subscribers.c.id == payments.c.subscriber_id)
        .where(payments.c.channel == channel, payments.c.payment_id == payment_id)
    ).one_or_none()


# Import batches


@dataclass(frozen=True, slots=True)
class BatchRecord:
    rows: int
    loaded: int
    unchanged: int
    updated: int
    rejected: int
    rejects: dict[int, str]


def finished_batches(db: Connection, kind: Kind, digest: str) -> dict[int, BatchRecord]:
    t = import_batches.c
    return {
        row.batch_no: BatchRecord(
            rows=row.rows,
            loaded=row.loaded,
            unchanged=row.unchanged,
            updated=row.updated,
            rejected=row.rejected,
            rejects={int(line): message for line, message in json.loads(row.rejects)},
        )
        for row in db.execute(select(import_batches).where(t.kind == kind, t.file_digest == digest))
    }


def record_batch(
    db: Connection, *, kind: Kind, digest: str, batch_no: int, record: BatchRecord, now: datetime
) -> None:
    db.execute(
        insert(import_batches).values(
            kind=kind,
            file_digest=digest,
            batch_no=batch_no,
            rows=record.rows,
            loaded=record.loaded,
            unchanged=record.unchanged,
            updated=record.updated,
            rejected=record.rejected,
            rejects=json.dumps(sorted(record.rejects.items()), ensure_ascii=False),
            finished_at=now,
        )
    )


# Channels


def add_channel(db: Connection, *, name: str, key_hash: str, now: datetime) -> bool:
    """A new channel, or a new key for a revoked one; False when the name is already active."""
    row = db.execute(select(channels).where(channels.c.name == name)).one_or_none()
    if row is None:
        db.execute(insert(channels).values(name=name, key_hash=key_hash, created_at=now))
        return True
    if row.revoked_at is None:
        return False
    db.execute(
        update(channels)
        .where(channels.c.id == row.id)
        .values(key_hash=key_hash, created_at=now, revoked_at=None)
    )
    return True


def revoke_channel(db: Connection, *, name: str, now: datetime) -> bool:
    return bool(
        _changed_rows(
            db,
            update(channels)
            .where(channels.c.name == name, channels.c.revoked_at.is_(None))
            .values(revoked_at=now),
        )
    )


def channel_by_key_hash(db: Connection, key_hash: str) -> str | None:
    return db.scalar(
        select(channels.c.name).where(
            channels.c.key_hash == key_hash, channels.c.revoked_at.is_(None)
        )
    )


def add_staged(db: Connection, kind: Kind, rows: Sequence[dict[str, Any]]) -> None:
    """Rows judged by the rules in Python, beside those the SQL staged (``bulk.py``)."""
    _add(db, {"subscribers": stage_subscribers, "invoices": stage_invoices}[kind], rows)


def staged_invoices_to_check(db: Connection) -> list[tuple[int, InvoiceRecord]]:
    """The staged rows that may deserve a data-quality warning; the rules say which do.

    An amount more than 0.01 from consumption × tariff rounded to the cent is more than 0.005
    from the exact product: this coarser test passes every row the exact one would.
    """
    s = stage_invoices.c
    fields = ["subscriber_code", "period", "service", *_INVOICE_FIGURES]
    query = (
        select(s.line_no, *(s[f] for f in fields))
        .where(
            or_(
                func.abs(s.amount - s.consumption_m3 * s.tariff)
                > literal(Decimal("0.005"), Numeric()),
                s.current_reading < s.previous_reading,
                and_(s.basis == "meter", s.service == "water", s.current_reading.is_(None)),
            )
        )
        .order_by(s.line_no)
    )
    return [
        (row.line_no, InvoiceRecord(**{f: getattr(row, f) for f in fields}))
        for row in db.execute(query)
    ]
