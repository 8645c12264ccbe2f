"""Two more reference points, on the same server stack as the app.

- ``/limit/statements/{code}`` (``sync_pool_reference`` in the bench): the subscriber, the 12
  months of invoices, the payments and the balance brought forward from ONE hand-written SQL
  query, sent as JSON without authentication, policy, audit or business rule, but through the
  app's own sync engine, pool and request threads. It shows what those settings cost; the
  database's limit is ``bench/reference_app.py``, which shares nothing with the app.
- ``/limit/static``: a constant JSON body: the framework's limit.

Served by uvicorn exactly like the real app (``--factory bench.limits_app:create_app``) and on the
same database with the same engine settings. It lives in the bench code so that the production app
carries no benchmark-only route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection, TextualSelect, text

from waterbill.calendar import Window, baku_date
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.db.types import UTCDateTime, fixed_point, money, volume

# Each branch finds the subscriber by its unique code (an index lookup): a join would let
# SQLite's planner scan a whole table.
# kind 's': the subscriber; 'i': an invoice of the window; 'p': a payment of the window;
# 'b': the balance brought forward (invoiced minus paid before the window).
STATEMENT_SQL = """
SELECT 's' AS kind, s.code AS a, s.surname AS b, s.name AS c, s.patronymic AS d,
       s.region AS e, s.city AS f, s.district AS g, s.street AS h, s.building AS j,
       s.apartment AS k, s.meter_type AS l, s.status AS m, s.persons_served AS n,
       CAST(NULL AS NUMERIC) AS amount, CAST(NULL AS NUMERIC) AS consumption,
       CAST(NULL AS NUMERIC) AS tariff, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS paid_at
FROM subscribers s WHERE s.code = :code AND s.category = 'population'
UNION ALL
SELECT 'i', i.period, i.service, i.basis, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, i.amount, i.consumption_m3, i.tariff, NULL
FROM invoices i
WHERE i.subscriber_id = (SELECT id FROM subscribers WHERE code = :code)
  AND i.period BETWEEN :first AND :last
UNION ALL
SELECT 'p', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       p.amount, NULL, NULL, p.paid_at
FROM payments p
WHERE p.subscriber_id = (SELECT id FROM subscribers WHERE code = :code)
  AND p.paid_at >= :starts_at AND p.paid_at < :until
UNION ALL
SELECT 'b', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       (SELECT COALESCE(SUM(amount), 0) FROM invoices WHERE subscriber_id = s.id
            AND period < :first)
       - (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE subscriber_id = s.id
            AND paid_at < :starts_at),
       NULL, NULL, NULL
FROM subscribers s WHERE s.code = :code
"""


def statement_query() -> TextualSelect:
    # The columns typed like the tables, so SQLite's scaled integers come back as Decimals too.
    return text(STATEMENT_SQL).columns(
        amount=money(),
        consumption=volume(),
        tariff=fixed_point(10, 4),
        paid_at=UTCDateTime(),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def load(
    db: Connection, query: TextualSelect, code: str, as_of: date | None = None
) -> dict[str, Any] | None:
    window = Window.ending(as_of or baku_date(_now()))
    rows = db.execute(
        query,
        {
            "code": code,
            "first": str(window.first),
            "last": str(window.last),
            "starts_at": window.starts_at,
            "until": window.payments_until,
        },
    ).all()
    subscriber = next((row for row in rows if row.kind == "s"), None)
    if subscriber is None:
        return None
    # Twelve columns do not fit one line; the annotations let the tuples grow by ``+=``.
    keys: tuple[str, ...]
    values: tuple[Any, ...]
    keys = ("code", "surname", "name", "patronymic", "region", "city", "district", "street")
    keys += ("building", "apartment", "meter_type", "status")
    values = (subscriber.a, subscriber.b, subscriber.c, subscriber.d, subscriber.e, subscriber.f)
    values += (subscriber.g, subscriber.h, subscriber.j, subscriber.k, subscriber.l, subscriber.m)
    return {
        "subscriber": {**dict(zip(keys, values, strict=True)), "persons": subscriber.n},
        "invoices": [
            {
                "period": row.a,
                "service": row.b,
                "basis": row.c,
                "amount": _plain(row.amount),
                "consumption_m3": _plain(row.consumption),
                "tariff": _plain(row.tariff),
            }
            for row in rows
            if row.kind == "i"
        ],
        "payments": [
            {"paid_at": _plain(row.paid_at), "amount": _plain(row.amount)}
            for row in rows
            if row.kind == "p"
        ],
        "opening_balance": next((_plain(row.amount) for row in rows if row.kind == "b"), None),
    }


def _now() -> datetime:
    return datetime.now(UTC)


def create_app() -> FastAPI:
    settings = get_settings()
    database = Database(settings)
    query = statement_query()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # As the real app: as many request threads as pooled connections (waterbill.web.app).
        to_thread.current_default_thread_limiter().total_tokens = settings.database_pool_size
        yield

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.database = database

    # Plain ``def`` routes run in the thread pool, as the real app's routes do.
    @app.get("/limit/statements/{code}")
    def statement(code: str, request: Request) -> Response:
        with database.read() as db:
            body = load(db, query, code)
        if body is None:
            return JSONResponse({"error": {"code": "unknown_code"}}, status_code=404)
        return JSONResponse(body)

    @app.get("/limit/static")
    def static() -> Response:
        return JSONResponse({"status": "ok"})

    return app
