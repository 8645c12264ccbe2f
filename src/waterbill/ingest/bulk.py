"""The PostgreSQL path of a CSV feed: COPY into staging, the plain rows checked in SQL.

A batch's lines reach ``stage_raw`` (one text column per column of the file) through one COPY.
One INSERT … SELECT per kind then moves the rows whose every value has a plain shape into the
kind's typed staging table: a plain value is one the rules of ``rows.py`` accept as it stands,
with the same result, so this SQL only ever says "as the rules would" and never refuses a row.
Every other row is doubtful: it is read back and judged by those rules in Python, which alone hold
the messages. The casts run before the checks, so a value PostgreSQL cannot cast at all stops the
statement; then the whole batch is judged in Python (``DataError``).

Only names built here (``c0``, ``c1`` … and the contract's column names) enter the SQL text; every
value from the file is a COPY row and every limit a bound parameter or a constant of the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from waterbill.billing.domain import SERVICES
from waterbill.billing.tables import (
    BASES,
    CATEGORIES,
    METER_TYPES,
    STATUSES,
    TARIFF_ZONES,
)
from waterbill.calendar import BAKU, YearMonth, baku_date
from waterbill.identifiers import FIN_CHARACTERS
from waterbill.ingest.columns import (
    CHANNEL_LENGTH,
    CLOCK_SKEW,
    COLUMNS,
    EARLIEST_DAY,
    EARLIEST_PAYMENT_DAY,
    EARLIEST_PERIOD,
    FALSE_TEXTS,
    INVOICE_NO_LENGTH,
    INVOICE_NUMBERS,
    OPTIONAL,
    PAYMENT_AMOUNT,
    PAYMENT_ID_LENGTH,
    PERSONS_SERVED,
    STRIPPED_BEYOND_ASCII,
    SUBSCRIBER_TEXTS,
    TRUE_TEXTS,
    Kind,
)
from waterbill.ingest.formats import Chunk
from waterbill.ingest.quality import HISTORY_MONTHS
from waterbill.ingest.repository import stage_invoices, stage_payments, stage_subscribers

# Since 2016 Baku keeps UTC+4 all year: a local time before that may fall in a DST change,
# where PostgreSQL and Python need not pick the same instant, so it is left to the rules.
_BAKU_FIXED_SINCE = datetime(2016, 1, 1, tzinfo=BAKU)


class Columns:
    """Where each contract column sits in ``stage_raw`` (``r.cN``), or NULL when the file
    has no such column (an optional one: a missing required column refuses the file). A name
    the header repeats is its last column, as for the rows the rules read."""

    def __init__(self, header: Sequence[str]) -> None:
        self.width = len(header)
        self._position = {name: index for index, name in enumerate(header)}

    def __call__(self, name: str) -> str:
        index = self._position.get(name)
        return f"r.c{index}" if index is not None else "NULL::text"

    def names(self, kind: Kind) -> list[str]:
        return [f"{self(name)} AS {name}" for name in COLUMNS[kind]]


def open_staging(db: Connection, width: int) -> None:
    """The session's staging tables, emptied at every commit (one connection runs the import).

    The connection goes back to the pool afterwards: ``close_staging`` drops them again.
    """
    close_staging(db)
    db.exec_driver_sql("SET DateStyle = 'ISO, YMD'")
    # A batch's statements are cheap to plan and may be planned badly once for all: planned
    # again each time, they see the tables' current size. JIT would compile them per batch.
    db.exec_driver_sql("SET jit = off")
    # Without statistics of the staging tables a merge join looks as cheap as a hash join, and
    # it sorts the whole batch to meet the few stored rows it has (half of the stored-version
    # lookup of a new batch of invoices); hashing the smaller side never sorts.
    db.exec_driver_sql("SET enable_mergejoin = off")
    raw = _driver(db)
    db.info["prepare_threshold"] = raw.prepare_threshold
    raw.prepare_threshold = None
    db.exec_driver_sql("CREATE TEMPORARY SEQUENCE stage_raw_line")
    texts = ", ".join(f"c{index} text" for index in range(width))
    db.exec_driver_sql(
        "CREATE TEMPORARY TABLE stage_raw (line_no integer NOT NULL "
        f"DEFAULT nextval('stage_raw_line'), {texts}) ON COMMIT DELETE ROWS"
    )
    for stage in (stage_subscribers, stage_invoices, stage_payments):
        stage.create(db)


def close_staging(db: Connection) -> None:
    db.exec_driver_sql("DISCARD TEMP")
    db.exec_driver_sql("RESET DateStyle")
    db.exec_driver_sql("RESET jit")
    db.exec_driver_sql("RESET enable_mergejoin")
    if "prepare_threshold" in db.info:
        _driver(db).prepare_threshold = db.info.pop("prepare_threshold")


def _driver(db: Connection) -> Any:
    raw = db.connection.driver_connection
    assert raw is not None
    return raw


def stage_chunk(db: Connection, chunk: Chunk, width: int) -> list[int]:
    """COPY the chunk's rows into ``stage_raw``; returns the lines of the rows that cannot be
    read at all (their problem is in the record), which stay out of staging."""
    unreadable: list[int] = []
    with _driver(db).cursor() as cursor:
        if chunk.records is None:
            # Every line is a row: their line numbers are consecutive, from the sequence.
            cursor.execute("SELECT setval('stage_raw_line', %s, false)", (chunk.first_line,))
            columns = ", ".join(f"c{index}" for index in range(width))
            with cursor.copy(f"COPY stage_raw ({columns}) FROM STDIN (NULL '')") as copy:
                copy.write(chunk.copy_text)
            return unreadable
        with cursor.copy("COPY stage_raw FROM STDIN") as copy:
            for record in chunk.records:
                if record.problem is not None:
                    unreadable.append(record.line)
                    continue
                cells = (cell if cell != "" else None for cell in record.raw)
                copy.write_row([record.line, *cells])
    return unreadable


def first_repeat(db: Connection, kind: Kind) -> int | None:
    """The first staged line whose identity an earlier staged line already has."""
    stage = _STAGES[kind]
    key = ", ".join(_IDENTITY[kind])
    repeats = db.exec_driver_sql(
        f"SELECT EXISTS (SELECT FROM {stage} GROUP BY {key} HAVING count(*) > 1)"  # noqa: S608
    ).scalar_one()
    if not repeats:
        return None
    return db.exec_driver_sql(
        f"""SELECT min(line_no) FROM (
                SELECT line_no, row_number() OVER (PARTITION BY {key} ORDER BY line_no) AS n
                FROM {stage}
            ) repeated WHERE n > 1"""  # noqa: S608
    ).scalar()


def discard_from(db: Connection, kind: Kind, line: int) -> None:
    """Forget the staged rows from ``line`` on: they start the next batch."""
    db.exec_driver_sql(f"DELETE FROM {_STAGES[kind]} WHERE line_no >= %s", (line,))  # noqa: S608
    db.exec_driver_sql("DELETE FROM stage_raw WHERE line_no >= %s", (line,))


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of the day the batch runs, and the configured code length."""

    code_length: tuple[int, int]
    now: datetime

    def params(self) -> dict[str, Any]:
        today = baku_date(self.now)
        return {
            "now": self.now,
            "history": HISTORY_MONTHS,
            "spaces": list(STRIPPED_BEYOND_ASCII),
            "earliest_day": EARLIEST_DAY,
            "today": today,
            "earliest_period": EARLIEST_PERIOD.first_day,
            "this_month": YearMonth.of(today).first_day,
            "latest_payment": self.now + CLOCK_SKEW,
            "earliest_payment": datetime.combine(EARLIEST_PAYMENT_DAY, datetime.min.time(), BAKU),
            "baku_fixed_since": _BAKU_FIXED_SINCE,
        }


def take_plain(db: Connection, kind: Kind, header: Columns, limits: Limits) -> int:
    """Move the plain rows of ``stage_raw`` into the kind's typed staging table; returns how
    many it moved (``doubtful_rows`` gives the others).

    Raises sqlalchemy's DataError when a value cannot be cast at all.
    """
    source, staging = _PLAIN_SQL[kind](header, limits.code_length)
    return int(
        db.exec_driver_sql(
            f"""WITH staged AS ({staging} FROM ({source}) t WHERE t.plain RETURNING 1)
                SELECT count(*) FROM staged""",  # noqa: S608
            limits.params(),
        ).scalar_one()
    )


def doubtful_rows(db: Connection, kind: Kind, header: Columns) -> list[tuple[int, dict[str, Any]]]:
    """The staged rows that ``take_plain`` left, with their values by contract column."""
    names = ", ".join(header.names(kind))
    rows = db.exec_driver_sql(
        f"SELECT r.line_no, {names} FROM stage_raw r "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT FROM {_STAGES[kind]} s WHERE s.line_no = r.line_no) "
        "ORDER BY r.line_no"
    )
    return [(row[0], dict(zip(COLUMNS[kind], row[1:], strict=True))) for row in rows]


# The shapes, each a condition on a value that is not NULL unless said otherwise.


_FIRST_SPACE = min(STRIPPED_BEYOND_ASCII)


def _edges(value: str) -> str:
    """No white space at either end (``str.strip`` would remove it)."""
    return " AND ".join(
        # Below the first of them, the white space beyond ASCII need not be searched for.
        f"{code} > 32 AND ({code} < {_FIRST_SPACE} OR NOT {code} = ANY(%(spaces)s))"
        for code in (f"ascii({value})", f"ascii(right({value}, 1))")
    )


def _text(value: str, max_length: int) -> str:
    return f"length({value}) <= {int(max_length)} AND {_edges(value)}"


def _optional_text(value: str, max_length: int) -> str:
    return f"({value} IS NULL OR ({_text(value, max_length)}))"


def _number(value: str, places: int, digits: int, negative: bool) -> str:
    """A number cast as ``numeric`` (a decimal comma made a point first)."""
    low = f"{value} > -1e{int(digits)}" if negative else f"{value} >= 0"
    return f"scale({value}) <= {int(places)} AND {low} AND {value} < 1e{int(digits)}"


def _number_cast(value: str) -> str:
    return f"replace({value}, ',', '.')::numeric"


def _one_of(value: str, allowed: Sequence[str]) -> str:
    return f"{value} IN ({', '.join(_quoted(item) for item in allowed)})"


def _quoted(item: str) -> str:
    assert "'" not in item
    return f"'{item}'"


def _day(text: str, day: str) -> str:
    """``day`` is ``text`` cast to a date; the text must be the date's own ISO form."""
    return f"{day}::text = {text} AND {day} BETWEEN %(earliest_day)s AND %(today)s"


def _digits(value: str) -> str:
    return f"translate({value}, '0123456789', '') = ''"


def _code(value: str, code_length: tuple[int, int]) -> str:
    low, high = code_length
    return f"length({value}) BETWEEN {int(low)} AND {int(high)}"


def _all(conditions: Sequence[str]) -> str:
    return "coalesce(" + " AND ".join(f"({condition})" for condition in conditions) + ", false)"


def _subscribers_of_batch(v: Columns) -> str:
    """The stored subscribers of the batch's codes, each code looked up once, by index: a
    LATERAL lookup PostgreSQL can only run as one (see repository._STORED_SUBSCRIBERS), where
    a plain join it might plan as a hash of the whole table."""
    return f"""(
        SELECT codes.code, found.id
        FROM (SELECT DISTINCT {v("subscriber_code")} AS code FROM stage_raw r) codes
        CROSS JOIN LATERAL (
            SELECT id FROM subscribers WHERE code = codes.code LIMIT 1
        ) found
    )"""  # noqa: S608


def _subscribers_sql(v: Columns, code_length: tuple[int, int]) -> tuple[str, str]:
    texts = [f"{v(name)} AS {name}" for name in COLUMNS["subscribers"]]
    conditions = [
        f"{_code('t.subscriber_code', code_length)} AND {_digits('t.subscriber_code')}",
        f"length(t.holder_fin) = 7 AND translate(t.holder_fin, '{FIN_CHARACTERS}', '') = ''",
        *(
            _optional_text(f"t.{name}", length) if name in OPTIONAL else _text(f"t.{name}", length)
            for name, length in SUBSCRIBER_TEXTS.items()
        ),
        "t.persons::text = t.persons_served AND t.persons BETWEEN {} AND {}".format(
            *map(int, PERSONS_SERVED)
        ),
        _one_of("t.water_service", (*TRUE_TEXTS, *FALSE_TEXTS)),
        _one_of("t.wastewater_service", (*TRUE_TEXTS, *FALSE_TEXTS)),
        _one_of("t.meter_type", METER_TYPES),
        _one_of("t.tariff_zone", TARIFF_ZONES),
        _one_of("t.category", CATEGORIES),
        _one_of("t.status", STATUSES),
        _day("t.opened_on", "t.opened"),
    ]
    source = f"""
        SELECT t.*, {_all(conditions)} AS plain
        FROM (
            SELECT r.line_no, {", ".join(texts)},
                   {v("persons_served")}::integer AS persons, {v("opened_on")}::date AS opened
            FROM stage_raw r OFFSET 0
        ) t"""  # noqa: S608
    true = ", ".join(_quoted(text) for text in TRUE_TEXTS)
    staging = f"""
        INSERT INTO stage_subscribers (line_no, code, holder_fin, surname, name, patronymic,
            region, city, district, street, building, apartment, persons_served, water_service,
            wastewater_service, meter_type, meter_serial, tariff_zone, category, status,
            opened_on, updated_at)
        SELECT t.line_no, t.subscriber_code, t.holder_fin, t.surname, t.name,
               coalesce(t.patronymic, ''), t.region, t.city, coalesce(t.district, ''), t.street,
               t.building, t.apartment, t.persons, t.water_service IN ({true}),
               t.wastewater_service IN ({true}), t.meter_type, t.meter_serial,
               t.tariff_zone, t.category, t.status, t.opened, %(now)s"""
    return source, staging


def _invoices_sql(v: Columns, code_length: tuple[int, int]) -> tuple[str, str]:
    texts = [f"{v(name)} AS {name}" for name in COLUMNS["invoices"]]
    numbers = [f"{_number_cast(v(name))} AS x_{name}" for name in INVOICE_NUMBERS]

    def number(name: str) -> str:
        places, digits, negative = INVOICE_NUMBERS[name]
        return _number(f"t.x_{name}", places, digits, negative)

    readings = (
        "(t.previous_reading IS NULL AND t.current_reading IS NULL AND t.basis <> 'meter')"
        f" OR (t.previous_reading IS NOT NULL AND {number('previous_reading')}"
        # The last reading without a new one: an estimate, as the rules allow it.
        " AND ((t.current_reading IS NULL AND t.basis = 'estimate')"
        f" OR (t.current_reading IS NOT NULL AND {number('current_reading')})))"
    )
    conditions = [
        # A code that is no stored subscriber's is doubtful: malformed or unknown, say the rules.
        "sub.id IS NOT NULL",
        _code("t.subscriber_code", code_length),
        _text("t.invoice_no", INVOICE_NO_LENGTH),
        "t.first_day::text = t.period || '-01'",
        "t.first_day BETWEEN %(earliest_period)s AND %(this_month)s",
        _one_of("t.service", SERVICES),
        _one_of("t.basis", BASES),
        _day("t.issued_on", "t.issued"),
        "t.issued >= t.first_day",
        number("consumption_m3"),
        number("tariff"),
        number("amount"),
        readings,
    ]
    source = f"""
        SELECT t.*, sub.id AS subscriber_id, {_all(conditions)} AS plain
        FROM (
            SELECT r.line_no, {", ".join(texts)}, {", ".join(numbers)},
                   ({v("period")} || '-01')::date AS first_day, {v("issued_on")}::date AS issued
            FROM stage_raw r OFFSET 0
        ) t
        LEFT JOIN {_subscribers_of_batch(v)} sub ON sub.code = t.subscriber_code"""  # noqa: S608
    staging = """
        INSERT INTO stage_invoices (line_no, subscriber_code, subscriber_id, history_from,
            invoice_no, period, service, previous_reading, current_reading, consumption_m3,
            tariff, amount, basis, issued_on)
        SELECT t.line_no, t.subscriber_code, t.subscriber_id,
               -- The first of the months before the period (``imports._history_from``).
               to_char(t.first_day - make_interval(months => %(history)s), 'YYYY-MM'),
               t.invoice_no, t.period, t.service, t.x_previous_reading, t.x_current_reading,
               t.x_consumption_m3, t.x_tariff, t.x_amount, t.basis, t.issued"""
    return source, staging


def _payments_sql(v: Columns, code_length: tuple[int, int]) -> tuple[str, str]:
    texts = [f"{v(name)} AS {name}" for name in COLUMNS["payments"]]
    places, digits, _negative = PAYMENT_AMOUNT
    paid_at = v("paid_at")
    # ISO 8601 to the second: UTC (Z), an offset (+04:00), or none (Baku time, by the contract).
    instant = (
        f"CASE length({paid_at}) WHEN 19 THEN {paid_at}::timestamp AT TIME ZONE 'Asia/Baku'"
        f" ELSE {paid_at}::timestamptz END"
    )
    iso = "'YYYY-MM-DD\"T\"HH24:MI:SS'"
    # Written back from the instant, the text must come out as it went in: then Python's
    # fromisoformat reads the same instant (no 24:00, no leap second, no other notation).
    same_text = (
        "CASE length(t.paid_at)"
        " WHEN 19 THEN t.paid >= %(baku_fixed_since)s"
        f" AND to_char(t.paid AT TIME ZONE 'Asia/Baku', {iso}) = t.paid_at"
        f" WHEN 20 THEN to_char(t.paid AT TIME ZONE 'UTC', {iso}) || 'Z' = t.paid_at"
        " WHEN 25 THEN substr(t.paid_at, 20, 1) IN ('+', '-')"
        f" AND to_char(t.paid AT TIME ZONE 'UTC' + right(t.paid_at, 6)::interval, {iso})"
        " || right(t.paid_at, 6) = t.paid_at"
        " ELSE false END"
    )
    conditions = [
        "sub.id IS NOT NULL",
        _code("t.subscriber_code", code_length),
        _text("t.payment_id", PAYMENT_ID_LENGTH),
        # Printable ASCII; any other id (a control or a bidi character among them) to the rules.
        "t.payment_id ~ '^[!-~]+$'",
        _text("t.channel", CHANNEL_LENGTH),
        same_text,
        "t.paid BETWEEN %(earliest_payment)s AND %(latest_payment)s",
        # A reversal, or a payment not positive, is judged by the rules.
        "t.reverses IS NULL",
        f"scale(t.amount_value) <= {int(places)}",
        f"t.amount_value > 0 AND t.amount_value < 1e{int(digits)}",
        # The same id with other content is a conflict, which the rules word.
        "stored.id IS NULL OR (stored.subscriber_id = sub.id AND stored.paid_at = t.paid"
        " AND stored.amount = t.amount_value AND stored.reverses IS NULL)",
    ]
    source = f"""
        SELECT t.*, sub.id AS subscriber_id, stored.id IS NOT NULL AS stored,
               {_all(conditions)} AS plain
        FROM (
            SELECT r.line_no, {", ".join(texts)}, {_number_cast(v("amount"))} AS amount_value,
                   {instant} AS paid
            FROM stage_raw r OFFSET 0
        ) t
        LEFT JOIN {_subscribers_of_batch(v)} sub ON sub.code = t.subscriber_code
        LEFT JOIN LATERAL (
            SELECT * FROM payments WHERE channel = t.channel AND payment_id = t.payment_id LIMIT 1
        ) stored ON true"""  # noqa: S608
    staging = """
        INSERT INTO stage_payments (line_no, channel, payment_id, subscriber_code, subscriber_id,
            paid_at, amount, reverses, verdict)
        SELECT t.line_no, t.channel, t.payment_id, t.subscriber_code, t.subscriber_id, t.paid,
               t.amount_value, NULL, CASE WHEN t.stored THEN 'same' ELSE 'new' END"""
    return source, staging


_PLAIN_SQL: dict[Kind, Callable[[Columns, tuple[int, int]], tuple[str, str]]] = {
    "subscribers": _subscribers_sql,
    "invoices": _invoices_sql,
    "payments": _payments_sql,
}
_STAGES: dict[Kind, str] = {
    "subscribers": "stage_subscribers",
    "invoices": "stage_invoices",
    "payments": "stage_payments",
}
# A row's identity in its typed staging table.
_IDENTITY: dict[Kind, tuple[str, ...]] = {
    "subscribers": ("code",),
    "invoices": ("subscriber_code", "period", "service"),
    "payments": ("channel", "payment_id"),
}
