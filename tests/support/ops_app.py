"""A bare FastAPI app with this area installed and pages that read the real statement.

It stands in for the web app in the tests of the operations area: the same ``install_ops`` call,
the same statement service, a real database. The signed-in citizen comes from a header here,
because sessions are the web area's business.
"""

from __future__ import annotations

import time
from html import escape
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.errors import ServiceError
from waterbill.ops.ratelimit import enforce_code_lookup
from waterbill.ops.responses import ErrorOut
from waterbill.ops.setup import install_ops
from waterbill.statement.schemas import StatementOut
from waterbill.statement.service import get_statement


def make_app(settings: Settings) -> FastAPI:
    database = Database(settings)
    app = FastAPI()

    @app.get("/statement/{code}", response_class=HTMLResponse, include_in_schema=False)
    def statement_page(code: str) -> HTMLResponse:
        with database.read() as connection:
            try:
                statement = get_statement(db=connection, code=code)
            except ServiceError as error:
                return HTMLResponse(f"<h1>{escape(error.code)}</h1>", status_code=404)
        subscriber = statement.subscriber
        return HTMLResponse(f"<h1>{escape(subscriber.surname)} {escape(subscriber.name)}</h1>")

    @app.get(
        "/api/v1/statements/{code}",
        response_model=StatementOut,
        responses={404: {"model": ErrorOut}},
    )
    async def statement_api(
        code: str, citizen: Annotated[str, Header(alias="x-test-citizen")] = ""
    ) -> JSONResponse:
        if citizen:
            limiter = app.state.ops.limiter
            await enforce_code_lookup(limiter=limiter, citizen_id=citizen, code=code)

        def read() -> JSONResponse:
            with database.read() as connection:
                try:
                    statement = get_statement(db=connection, code=code)
                except ServiceError as error:
                    body = {"error": {"code": error.code, "message": error.code}}
                    return JSONResponse(body, status_code=404)
            return JSONResponse(StatementOut.from_statement(statement).model_dump(mode="json"))

        return await run_in_threadpool(read)

    @app.get("/slow", include_in_schema=False)
    def slow(seconds: float) -> dict[str, float]:
        """Busy past the deadline without touching the database (a PDF on a loaded machine)."""
        time.sleep(seconds)
        return {"slept": seconds}

    @app.get("/broken", include_in_schema=False)
    def broken() -> None:
        raise RuntimeError("a bug, not an outage")

    @app.post("/api/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        """How many bytes arrived (to test the body limit)."""
        return {"received": len(await request.body())}

    install_ops(
        app,
        settings=settings,
        database=database,
        statement_routes=["/statement/{code}", "/api/v1/statements/{code}"],
    )
    return app
