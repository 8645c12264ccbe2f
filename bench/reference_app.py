"""The database's limit for a statement: an app that shares nothing with waterbill's.

``GET /reference/statements/{code}`` answers the statement of a subscriber code — the subscriber,
the 12 Baku months with their water and wastewater charges and payments, the totals and the
balances, in the API's JSON shape — from ONE SQL statement in which PostgreSQL itself builds the
JSON. It runs on psycopg 3's asynchronous API with its own pool (psycopg_pool), in ``async def``
routes on the event loop: no SQLAlchemy, no request threads, no authentication, policy, audit or
Python rules. It is what one well-written query over the same tables gives on the same server
stack (served by the same uvicorn command and worker count as the app), and the ratios in
docs/benchmarks.md are taken against it.

PostgreSQL only: on SQLite the bench measures the sync reference (``bench/limits_app.py``) alone.
The database comes from ``WATERBILL_DATABASE_URL`` and nothing else of waterbill is imported.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import Response
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

BAKU = ZoneInfo("Asia/Baku")

# The window is the 12 calendar months ending with the Baku month of %(as_of)s; payments count
# from the first instant of the window's first Baku month up to the end of the Baku day as_of.
# Each month's invoice line keeps the amount of the version it replaced (its newest revision).
STATEMENT_JSON_SQL = """
WITH win AS (
    SELECT d AS as_of,
           first_day,
           to_char(first_day, 'YYYY-MM') AS first_period,
           to_char(d, 'YYYY-MM') AS last_period,
           first_day::timestamp AT TIME ZONE 'Asia/Baku' AS starts_at,
           (d + 1)::timestamp AT TIME ZONE 'Asia/Baku' AS until
    FROM (SELECT %(as_of)s::date AS d,
                 (date_trunc('month', %(as_of)s::date) - interval '11 months')::date AS first_day
         ) AS given
),
s AS (
    SELECT * FROM subscribers WHERE code = %(code)s AND category = 'population'
),
months AS (
    SELECT to_char(m, 'YYYY-MM') AS period
    FROM win, generate_series(win.first_day, win.first_day + interval '11 months',
                              interval '1 month') AS m
),
lines AS (
    SELECT i.period, i.service, i.consumption_m3, i.amount, i.basis,
           (SELECT r.amount FROM invoice_revisions r WHERE r.invoice_id = i.id
            ORDER BY r.replaced_at DESC, r.id DESC LIMIT 1) AS before
    FROM s JOIN invoices i ON i.subscriber_id = s.id, win
    WHERE i.period BETWEEN win.first_period AND win.last_period
),
paid AS (
    SELECT to_char(p.paid_at AT TIME ZONE 'Asia/Baku', 'YYYY-MM') AS period,
           sum(p.amount) AS amount
    FROM s JOIN payments p ON p.subscriber_id = s.id, win
    WHERE p.paid_at >= win.starts_at AND p.paid_at < win.until
    GROUP BY 1
),
month_rows AS (
    SELECT m.period,
           count(l.service) > 0 AS billed,
           COALESCE(sum(l.consumption_m3), 0)::numeric(14, 3) AS consumption,
           COALESCE(sum(l.amount), 0)::numeric(14, 2) AS invoiced,
           COALESCE(bool_or(l.before IS NOT NULL), false) AS recalculated,
           CASE WHEN bool_or(l.before IS NOT NULL)
                THEN sum(COALESCE(l.before, l.amount))::numeric(14, 2) END AS before,
           COALESCE(bool_or(l.basis IN ('norm', 'estimate')), false) AS estimated,
           json_object_agg(l.service, json_build_object(
               'consumption_m3', l.consumption_m3::text,
               'amount', l.amount::text,
               'basis', l.basis)) FILTER (WHERE l.service IS NOT NULL) AS charges,
           COALESCE(max(paid.amount), 0)::numeric(14, 2) AS paid
    FROM months m
    LEFT JOIN lines l ON l.period = m.period
    LEFT JOIN paid ON paid.period = m.period
    GROUP BY m.period
),
totals AS (
    SELECT COALESCE(sum(consumption) FILTER (WHERE billed), 0)::numeric(14, 3) AS consumption,
           COALESCE(sum(invoiced), 0)::numeric(14, 2) AS invoiced,
           COALESCE(sum(paid), 0)::numeric(14, 2) AS paid,
           max(period) FILTER (WHERE billed) AS reporting_period,
           json_agg(json_build_object(
               'period', period,
               'billed', billed,
               'water', charges -> 'water',
               'wastewater', charges -> 'wastewater',
               'consumption_m3', consumption::text,
               'invoiced', invoiced::text,
               'paid', paid::text,
               'recalculated', recalculated,
               'amount_before_recalculation', before::text,
               'estimated', estimated) ORDER BY period) AS months
    FROM month_rows
),
opening AS (
    SELECT ((SELECT COALESCE(sum(i.amount), 0) FROM invoices i, win
             WHERE i.subscriber_id = s.id AND i.period < win.first_period)
          - (SELECT COALESCE(sum(p.amount), 0) FROM payments p, win
             WHERE p.subscriber_id = s.id AND p.paid_at < win.starts_at))::numeric(14, 2) AS amount
    FROM s
)
SELECT json_build_object(
    'subscriber', json_build_object(
        'code', s.code,
        'surname', s.surname,
        'name', s.name,
        'patronymic', s.patronymic,
        'address', json_build_object(
            'region', s.region,
            'city', s.city,
            'district', s.district,
            'street', s.street,
            'building', s.building,
            'apartment', s.apartment,
            'text', concat_ws(', ',
                NULLIF(s.region, ''),
                CASE WHEN s.city NOT IN ('', s.region) THEN s.city END,
                CASE WHEN s.district <> '' THEN s.district || ' r.' END,
                NULLIF(concat_ws(' ', NULLIF(s.street, ''), NULLIF(s.building, '')), ''),
                CASE WHEN s.apartment <> '' THEN 'm. ' || s.apartment END)),
        'persons_served', s.persons_served,
        'services', to_json(array_remove(ARRAY[
            CASE WHEN s.water_service THEN 'water' END,
            CASE WHEN s.wastewater_service THEN 'wastewater' END], NULL)),
        'meter_type', s.meter_type,
        'status', s.status),
    'masked', false,
    'masked_reason', NULL,
    'as_of', to_char(win.as_of, 'YYYY-MM-DD'),
    'reporting_period', totals.reporting_period,
    'months', totals.months,
    'totals', json_build_object(
        'consumption_m3', totals.consumption::text,
        'invoiced', totals.invoiced::text,
        'paid', totals.paid::text),
    'opening_balance', opening.amount::text,
    'closing_balance', (opening.amount + totals.invoiced - totals.paid)::text,
    'balance_kind', CASE
        WHEN opening.amount + totals.invoiced - totals.paid > 0 THEN 'debt'
        WHEN opening.amount + totals.invoiced - totals.paid < 0 THEN 'advance'
        ELSE 'settled' END
)::text
FROM s, win, totals, opening
"""

NOT_FOUND = b'{"error":{"code":"unknown_code"}}'


def baku_today() -> date:
    return datetime.now(BAKU).date()


async def statement_json(connection: AsyncConnection[Any], code: str, as_of: date) -> str | None:
    """The statement of ``code`` as JSON text built by PostgreSQL; None for no household code."""
    cursor = await connection.execute(STATEMENT_JSON_SQL, {"code": code, "as_of": as_of})
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


def conninfo() -> str:
    """``WATERBILL_DATABASE_URL`` as libpq takes it (a SQLAlchemy driver suffix removed)."""
    url = os.environ["WATERBILL_DATABASE_URL"]
    scheme, _, rest = url.partition("://")
    if not scheme.startswith(("postgresql", "postgres")):
        raise SystemExit("the async reference needs PostgreSQL (WATERBILL_DATABASE_URL)")
    return f"postgresql://{rest}"


def create_app() -> FastAPI:
    # As many connections as the app's pool holds per worker (WATERBILL_DATABASE_POOL_SIZE, 10).
    size = int(os.environ.get("WATERBILL_DATABASE_POOL_SIZE", "10"))
    # Autocommit: the one SELECT is its own transaction, without a BEGIN and a COMMIT round trip.
    pool = AsyncConnectionPool(
        conninfo(), min_size=size, max_size=size, open=False, kwargs={"autocommit": True}
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.pool = pool

    @app.get("/reference/statements/{code}")
    async def statement(code: str) -> Response:
        async with pool.connection() as connection:
            body = await statement_json(connection, code, baku_today())
        if body is None:
            return Response(NOT_FOUND, status_code=404, media_type="application/json")
        return Response(body, media_type="application/json")

    return app
