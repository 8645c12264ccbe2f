"""One call that gives an app everything of this area, in the right order."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.errors import RateLimited
from waterbill.ops import health
from waterbill.ops.context import RequestContextMiddleware
from waterbill.ops.continuity import EXEMPT_PREFIXES, ContinuityMiddleware
from waterbill.ops.maintenance import MaintenanceMonitor
from waterbill.ops.messages import message
from waterbill.ops.metrics import Metrics
from waterbill.ops.ratelimit import (
    IpRateLimitMiddleware,
    MemoryBackend,
    RateLimiter,
    RedisBackend,
    retry_minutes,
)
from waterbill.ops.responses import locale_of, render_page, wants_json
from waterbill.ops.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware


@dataclass(frozen=True, slots=True)
class Ops:
    """What routes need from this area, kept on ``app.state.ops``."""

    settings: Settings
    database: Database
    metrics: Metrics
    monitor: MaintenanceMonitor
    limiter: RateLimiter


def make_limiter(settings: Settings) -> RateLimiter:
    backend = RedisBackend(settings.redis_url) if settings.redis_url else MemoryBackend()
    return RateLimiter(
        backend,
        codes_per_citizen=settings.rate_limit_codes_per_citizen,
        codes_window=settings.rate_limit_codes_window,
        ip_requests=settings.rate_limit_ip_requests,
        ip_window=settings.rate_limit_ip_window,
    )


def rate_limited_response(request: Request, error: RateLimited) -> Response:
    """429 for a limit a route enforced (per citizen), in the citizen's language."""
    seconds = int(error.params.get("retry_after", 60))
    locale = locale_of(request.scope)
    text = message("rate_limited", locale, minutes=retry_minutes(seconds))
    headers = {"Retry-After": str(seconds), "Cache-Control": "no-store"}
    if wants_json(request.scope):
        body = {"error": {"code": "rate_limited", "message": text}}
        return JSONResponse(body, status_code=429, headers=headers)
    page = render_page(code="rate_limited", locale=locale, text=text)
    return HTMLResponse(page, status_code=429, headers=headers)


def install_ops(app: FastAPI, *, settings: Settings, database: Database) -> Ops:
    """Health routes, limits, headers, continuity, request ids and metrics for ``app``."""
    ops = Ops(
        settings=settings,
        database=database,
        metrics=Metrics(database.primary),
        monitor=MaintenanceMonitor(database.primary),
        limiter=make_limiter(settings),
    )
    app.state.ops = ops
    app.include_router(health.router)

    async def on_rate_limited(request: Request, error: Exception) -> Response:
        assert isinstance(error, RateLimited)
        ops.metrics.count_statement_view("rate_limited")
        return rate_limited_response(request, error)

    app.add_exception_handler(RateLimited, on_rate_limited)
    # add_middleware puts each one outside the previous: innermost first.
    app.add_middleware(
        ContinuityMiddleware, monitor=ops.monitor, deadline=settings.request_deadline
    )
    app.add_middleware(IpRateLimitMiddleware, limiter=ops.limiter, exempt_prefixes=EXEMPT_PREFIXES)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=ops.metrics, routes=app)
    app.add_middleware(
        SecurityHeadersMiddleware,
        frame_ancestors=settings.portal_origins,
        form_action=settings.form_action_origins,
        hsts=settings.env == "production",
    )
    return ops
