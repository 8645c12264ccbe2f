"""The ASGI application: pages, the JSON API and, in development only, the bundled provider."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from waterbill.auth.oidc import Provider
from waterbill.config import Settings, get_settings
from waterbill.db.database import Database
from waterbill.disputes.domain import REFERENCE_PATTERN
from waterbill.disputes.domain import STATUSES as DISPUTE_STATUSES
from waterbill.ops.setup import install_ops
from waterbill.performance.background import flushing
from waterbill.performance.middleware import PerformanceMiddleware
from waterbill.performance.recorder import Recorder
from waterbill.web import (
    access_api,
    access_pages,
    api,
    certificates,
    dispute_api,
    dispute_pages,
    documents,
    intake_api,
    notification_api,
    notification_pages,
    pages,
    performance,
    reading_api,
    reading_pages,
)
from waterbill.web.errors import install_refusals
from waterbill.web.forms import MAX_BODY_BYTES
from waterbill.web.headers import LanguageAndCaching
from waterbill.web.replica_retry import RepeatReadOnReplicaFailure
from waterbill.web.templating import Templates

log = logging.getLogger(__name__)

# Counted as statement views in the metrics (waterbill.ops).
STATEMENT_ROUTES = ("/statements/{code}", "/api/v1/statements/{code}")
# The dispute filings and the meter readings carry a meter photo. They refuse anything over their
# own limit with photo_too_large; the generic 413 stays as a backstop for bodies far beyond it.
UPLOAD_ROUTES = {
    path: 2 * MAX_BODY_BYTES
    for path in ("/disputes", "/api/v1/disputes", "/readings", "/api/v1/readings")
}
# A month as the API writes it, YYYY-MM, from 1900 on (waterbill.calendar.YearMonth).
PERIOD_PATTERN = "^(19|[2-9][0-9])[0-9]{2}-(0[1-9]|1[0-2])$"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_secrets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The routes are plain ``def`` and hold one pooled connection each while they run: with as
        # many threads as connections, a request waits for a thread rather than opening an
        # overflow connection that is closed again on return (issue 9: that churn cost more than
        # the requests themselves under load).
        to_thread.current_default_thread_limiter().total_tokens = settings.database_pool_size
        # This instance's counts go to the database every few seconds, and once more on the way
        # out: a restart loses nothing.
        async with flushing(app.state.performance, interval=settings.performance_flush_seconds):
            yield

    app = FastAPI(
        title="Azərsu: invoices and payments of the last 12 months",
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = Database(settings)
    app.state.provider = Provider(settings)
    app.state.templates = Templates()
    app.state.performance = Recorder(app.state.database.primary)

    app.include_router(pages.router)
    app.include_router(documents.router)
    app.include_router(certificates.pages)
    app.include_router(certificates.api)
    app.include_router(api.router)
    app.include_router(access_pages.router)
    app.include_router(access_api.router)
    app.include_router(intake_api.router)
    app.include_router(dispute_pages.router)
    app.include_router(dispute_api.router)
    app.include_router(dispute_api.staff_router)
    app.include_router(reading_pages.router)
    app.include_router(reading_api.router)
    app.include_router(performance.router)
    app.include_router(performance.api_router)
    app.include_router(notification_pages.router)
    app.include_router(notification_api.router)
    if settings.dev_idp_enabled:
        from waterbill.web import devidp

        app.include_router(devidp.router)
    app.mount("/static", StaticFiles(packages=[("waterbill.web", "static")]), name="static")
    if settings.database_replica_urls:
        # Only a replica can fail a read that the primary would answer.
        app.add_middleware(RepeatReadOnReplicaFailure)

    app.add_middleware(LanguageAndCaching)
    install_refusals(app)

    templates: Templates = app.state.templates

    def refusal_page(*, scope: Scope, code: str, locale: str, text: str, note: str | None) -> str:
        request = Request(scope)
        return templates.render(
            "error.html",
            locale=locale,
            request=request,
            code=code,
            message=text,
            note=note,
            session=None,
            path=request.url.path,
        )

    _type_parameters(app, settings)
    install_ops(
        app,
        settings=settings,
        database=app.state.database,
        page_renderer=refusal_page,
        statement_routes=STATEMENT_ROUTES,
        upload_routes=UPLOAD_ROUTES,
    )
    # Outermost: the time a statement took is the whole wait, refusals of the layers above included.
    app.add_middleware(PerformanceMiddleware, recorder=app.state.performance, routes=app)
    return app


def _type_parameters(app: FastAPI, settings: Settings) -> None:
    """The OpenAPI schema says what a subscriber code, a dispute reference, a month and a status
    look like, so that a client (and a fuzzer) sends real ones.

    Only in the description: the routes themselves refuse other values with their own stable
    codes (``malformed_code`` …), which a framework pattern check would turn into a generic 422.
    """
    low, high = settings.code_length_range
    typed: dict[tuple[str, str], dict[str, Any]] = {
        ("path", "code"): {"pattern": f"^[0-9]{{{low},{high}}}$", "examples": ["0104410203"]},
        ("query", "code"): {"pattern": f"^[0-9]{{{low},{high}}}$", "examples": ["0104410203"]},
        ("path", "reference"): {"pattern": REFERENCE_PATTERN, "examples": ["AZS-2026-000123"]},
        ("query", "period"): {"pattern": PERIOD_PATTERN, "examples": ["2026-09"]},
        ("query", "status"): {"enum": list(DISPUTE_STATUSES)},
        # The readings' export cursor: a whole number (waterbill.readings.service.export_readings).
        ("query", "since"): {"pattern": "^[0-9]{1,18}$", "examples": ["0", "123"]},
    }
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = describe()
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    for parameter in operation.get("parameters", []):
                        known = typed.get((parameter.get("in"), parameter["name"]))
                        if known is not None:
                            # A string, never null, whatever type a dependency gave the name.
                            title = parameter["name"].title()
                            parameter["schema"] = {"type": "string", "title": title, **known}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
