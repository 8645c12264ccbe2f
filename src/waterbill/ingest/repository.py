"""Every query of the ingest area. Staging tables, set-based upserts, channel keys.

On PostgreSQL a batch is COPYed into a temporary staging table and merged with a few set-based
statements; on SQLite the same statements run over a temporary table filled by executemany.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from waterbill.billing.tables import (
    BASES,
    SERVICES,
    Id,
    invoice_revisions,
    invoices,
    payments,
    subscribers,
)
from waterbill.db.types import UTCDateTime, money
from waterbill.ingest.rules import (
    INVOICE_COLUMNS,
    INVOICE_NO_LENGTH,
    INVOICE_NUMBERS,
    MEDIAN_FACTOR,
    MEDIAN_MIN_MONTHS,
    PLAIN_DAY,
    PLAIN_DIGITS,
    PLAIN_PERIOD,
    PLAIN_TEXT,
    InvoiceRecord,
    Kind,
    PaymentRecord,
    StoredPayment,
    SubscriberRecord,
)
from waterbill.ingest.tables import channels, import_batches

_staging = MetaData()


def _stage(name: str, *columns: Column[Any]) -> Table:
    return Table(
        name,
        _staging,
        Column("line_no", Integer, primary_key=True),
        *columns,
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


stage_subscribers = _stage(
    "stage_subscribers",
    *(Column(column.name, column.type) for column in subscribers.c if column.name != "id"),
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
    Column("paid_at", UTCDateTime, nullable=False),
    Column("amount", money(), nullable=False),
    Column("reverses", String(64), nullable=True),
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


def refresh_statistics(db: Connection, kind: Kind) -> None:
    """PostgreSQL plans the merge (and the foreign-key checks) from table statistics; a table
    that grew from empty since the last ANALYZE would be scanned row by row."""
    if db.dialect.name == "postgresql":
        target = {"subscribers": "subscribers", "invoices": "invoices", "payments": "payments"}
        db.exec_driver_sql(f"ANALYZE {target[kind]}")


def _analyze(db: Connection, stage: Table) -> None:
    """A temporary table has no statistics: without them PostgreSQL guesses one row and picks a
    nested loop that rescans the target table, growing as the statement inserts, for every row."""
    if db.dialect.name == "postgresql":
        db.exec_driver_sql(f"ANALYZE {stage.name}")


@dataclass(frozen=True, slots=True)
class Merge:
    loaded: int
    updated: int
    unchanged: int
    unknown_lines: list[int]


def merge_subscribers(
    db: Connection, records: Sequence[tuple[int, SubscriberRecord]], now: datetime
) -> Merge:
    rows = [
        {"line_no": line, "updated_at": now, **{f: getattr(r, f) for f in _SUBSCRIBER_FIELDS}}
        for line, r in records
    ]
    _fill(db, stage_subscribers, rows)
    _analyze(db, stage_subscribers)
    s = stage_subscribers.c
    changed = or_(*(subscribers.c[f].is_distinct_from(s[f]) for f in _SUBSCRIBER_FIELDS))
    updated = _changed_rows(
        db,
        update(subscribers)
        .values({f: s[f] for f in [*_SUBSCRIBER_FIELDS, "updated_at"]})
        .where(subscribers.c.code == s.code, changed),
    )
    columns = [*_SUBSCRIBER_FIELDS, "updated_at"]
    loaded = _changed_rows(
        db,
        insert(subscribers).from_select(
            columns,
            select(*(s[f] for f in columns)).where(~exists().where(subscribers.c.code == s.code)),
        ),
    )
    stage_subscribers.drop(db)
    return Merge(loaded, updated, len(rows) - loaded - updated, [])


def _invoice_rows(records: Sequence[tuple[int, InvoiceRecord, str]]) -> list[dict[str, Any]]:
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
    _fill(db, stage_invoices, _invoice_rows(records))
    return merge_staged_invoices(db, len(records), now)


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
        # Rows staged with their subscriber already (``load_plain_invoices``) keep it.
        .where(s.subscriber_id.is_(None))
    )
    _analyze(db, stage_invoices)
    unknown = list(db.scalars(select(s.line_no).where(s.subscriber_id.is_(None))))

    earlier_months = and_(
        invoices.c.subscriber_id == s.subscriber_id,
        invoices.c.service == s.service,
        invoices.c.period >= s.history_from,
        invoices.c.period < s.period,
    )
    # Over three times the median is over three times the smallest month: only rows past that
    # coarser mark bring their history back for the exact test (``far_above_median``).
    candidates = (
        select(s.line_no)
        .join(invoices, earlier_months)
        .group_by(s.line_no)
        .having(
            func.count() >= MEDIAN_MIN_MONTHS,
            # A plain integer factor: bound with the column's type it would be scaled on SQLite.
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

    # One join with the invoices finds each row's stored version; the rest go by primary key.
    same_invoice = and_(
        invoices.c.subscriber_id == s.subscriber_id,
        invoices.c.period == s.period,
        invoices.c.service == s.service,
    )
    db.execute(
        update(stage_invoices)
        .values(
            invoice_id=invoices.c.id,
            changed=or_(*(invoices.c[f].is_distinct_from(s[f]) for f in _INVOICE_FIGURES)),
        )
        .where(same_invoice)
    )
    recalculated = and_(invoices.c.id == s.invoice_id, s.changed.is_(True))
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
    stage_invoices.drop(db)
    merge = Merge(loaded, updated, staged - len(unknown) - loaded - updated, unknown)
    return merge, [(line, c, h) for line, (c, h) in history.items()]


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    subscriber_id: int | None
    stored: StoredPayment | None
    reversed_payment: StoredPayment | None


def _stored(code: str | None, paid_at: Any, amount: Any, reverses: Any) -> StoredPayment | None:
    if code is None:
        return None
    return StoredPayment(subscriber_code=code, paid_at=paid_at, amount=amount, reverses=reverses)


def _facts_query(source: Any) -> Any:
    """The subscriber, the payment already under this id, and the payment it reverses."""
    stored_sub = subscribers.alias("stored_sub")
    target_sub = subscribers.alias("target_sub")
    stored = payments.alias("stored")
    target = payments.alias("target")
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
            row.target_code, row.target_paid_at, row.target_amount, row.target_reverses
        ),
    )


def payment_facts_batch(
    db: Connection, records: Sequence[tuple[int, PaymentRecord]]
) -> dict[int, PaymentFacts]:
    rows = [
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
    _fill(db, stage_payments, rows)
    _analyze(db, stage_payments)
    facts = {row.line_no: _facts(row) for row in db.execute(_facts_query(stage_payments))}
    stage_payments.drop(db)
    return facts


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


# The PostgreSQL fast path for CSV invoices


def stage_invoice_text(db: Connection, width: int, delimiter: str, data: str) -> None:
    """A batch of CSV rows, each led by its line number, as text through one COPY."""
    texts = ", ".join(f"c{i} text" for i in range(width))
    db.exec_driver_sql(
        f"CREATE TEMPORARY TABLE stage_text (line_no integer, {texts}) ON COMMIT DROP"
    )
    raw = db.connection.driver_connection
    assert raw is not None
    assert delimiter in {",", ";"}
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY stage_text FROM STDIN (FORMAT csv, DELIMITER '{delimiter}')") as copy,
    ):
        copy.write(data)


def load_plain_invoices(
    db: Connection,
    header: Sequence[str],
    *,
    code_length: tuple[int, int],
    earliest_day: str,
    today: str,
    earliest_period: str,
    this_month: str,
) -> list[tuple[int, dict[str, str | None]]]:
    """Cast the staged rows whose every value has its plain shape into the invoice staging
    table, in SQL; return the others, by line, for the rules in Python to judge.

    The plain shapes are the ones the Python rules accept as they are (``rules.PLAIN_*``), so a
    row loaded here is one they would load with the same values.
    """
    position = {name: index for index, name in enumerate(header)}
    v = {
        name: f"c{position[name]}" if name in position else "NULL::text" for name in INVOICE_COLUMNS
    }

    def number(name: str) -> str:
        # PostgreSQL's regular expressions are slow with bounded repeats ({1,12}): the same
        # shape as the rules' pattern, unbounded, then the digits on either side counted.
        places, digits, negative = INVOICE_NUMBERS[name]
        value = v[name]
        return (
            f"{value} ~ '^{'-?' if negative else ''}[0-9]+([.,][0-9]+)?$'"
            f" AND length(split_part(translate({value}, ',-', '.'), '.', 1)) <= {digits}"
            f" AND length(split_part(translate({value}, ',', '.'), '.', 2)) <= {places}"
        )

    low, high = code_length
    previous, current = v["previous_reading"], v["current_reading"]
    plain = " AND ".join(
        [
            f"{v['invoice_no']} ~ '{PLAIN_TEXT}'",
            f"length({v['invoice_no']}) <= {INVOICE_NO_LENGTH}",
            f"{v['subscriber_code']} ~ '{PLAIN_DIGITS}'",
            f"length({v['subscriber_code']}) BETWEEN {int(low)} AND {int(high)}",
            f"{v['period']} ~ %(period)s",
            f'{v["period"]} COLLATE "C" BETWEEN %(earliest_period)s AND %(this_month)s',
            f"{v['service']} IN ({', '.join(repr(service) for service in SERVICES)})",
            f"{v['basis']} IN ({', '.join(repr(basis) for basis in BASES)})",
            number("consumption_m3"),
            number("tariff"),
            number("amount"),
            f"(({previous} IS NULL AND {current} IS NULL AND {v['basis']} <> 'meter')"
            f" OR ({number('previous_reading')} AND {number('current_reading')}))",
            f"{v['issued_on']} ~ %(day)s",
            f'{v["issued_on"]} COLLATE "C" BETWEEN %(earliest_day)s AND %(today)s',
            f"{v['issued_on']} COLLATE \"C\" >= {v['period']} || '-01'",
        ]
    )
    texts = ", ".join(f"{v[name]} AS {name}" for name in INVOICE_COLUMNS)
    casts = ", ".join(
        f"replace({name}, ',', '.')::numeric" if name in INVOICE_NUMBERS else name
        for name in INVOICE_COLUMNS
        if name != "issued_on"
    )
    # Only names built here (c0, c1 … and the contract's column names) enter the text; every
    # value from the file is a bound parameter or a COPY row.
    rows = db.exec_driver_sql(
        f"""
        WITH staged AS MATERIALIZED (
            SELECT line_no, {texts}, coalesce({plain}, false) AS plain FROM stage_text
        ), loaded AS (
            INSERT INTO stage_invoices
                (line_no, subscriber_id, history_from, {", ".join(INVOICE_COLUMNS)})
            SELECT line_no,
                   (SELECT id FROM subscribers WHERE code = subscriber_code),
                   -- Twelve months before a plain YYYY-MM: the same month a year earlier.
                   (left(period, 4)::integer - 1)::text || right(period, 3),
                   {casts}, issued_on::date
            FROM staged WHERE plain
        )
        SELECT line_no, {", ".join(INVOICE_COLUMNS)} FROM staged WHERE NOT plain
        ORDER BY line_no
        """,  # noqa: S608
        {
            "period": PLAIN_PERIOD,
            "day": PLAIN_DAY,
            "earliest_day": earliest_day,
            "today": today,
            "earliest_period": earliest_period,
            "this_month": this_month,
        },
    )
    db.exec_driver_sql("DROP TABLE stage_text")
    return [
        (
            row[0],
            {name: (value or None) for name, value in zip(INVOICE_COLUMNS, row[1:], strict=True)},
        )
        for row in rows
    ]


def create_invoice_stage(db: Connection) -> None:
    stage_invoices.create(db)


def add_staged_invoices(db: Connection, records: Sequence[tuple[int, InvoiceRecord, str]]) -> None:
    _add(db, stage_invoices, _invoice_rows(records))


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
            )
        )
        .order_by(s.line_no)
    )
    return [
        (row.line_no, InvoiceRecord(**{f: getattr(row, f) for f in fields}))
        for row in db.execute(query)
    ]
