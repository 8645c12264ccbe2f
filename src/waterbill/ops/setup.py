"""One call that gives an app everything of this area, in the right order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.db.replicas import ReplicaCollector
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
from waterbill.ops.responses import (
    PageRenderer,
    document_refusals,
    locale_of,
    page,
    wants_json,
)
from waterbill.ops.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware


@dataclass(frozen=True, slots=True)
class Ops:
    """What routes need from this area, kept on ``app.state.ops``."""

    settings: Settings
    database: Database
    metrics: Metrics
    monitor: MaintenanceMonitor
    limiter: RateLimiter
    page_renderer: PageRenderer | None = None


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
    html = page(request.scope, code="rate_limited", locale=locale, text=text, note=None)
    return HTMLResponse(html, status_code=429, headers=headers)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def form_action_origins(settings: Settings) -> list[str]:
    """Configured origins plus the identity provider's, where sign-in forms may lead."""
    origins = list(settings.form_action_origins)
    issuer = _origin(settings.issuer) if settings.issuer else None
    if issuer and issuer != _origin(settings.base_url) and issuer not in origins:
        origins.append(issuer)
    return origins


def install_ops(
    app: FastAPI,
    *,
    settings: Settings,
    database: Database,
    page_renderer: PageRenderer | None = None,
    statement_routes: Iterable[str] = (),
    upload_routes: Mapping[str, int] | None = None,
) -> Ops:
    """Health routes, limits, headers, continuity, request ids and metrics for ``app``.

    Call it once the app's routes are in place: the API routes get their refusals documented.
    """
    ops = Ops(
        settings=settings,
        database=database,
        metrics=Metrics(database.primary),
        monitor=MaintenanceMonitor(database.primary),
        limiter=make_limiter(settings),
        page_renderer=page_renderer,
    )
    # Each read replica's state and lag, as this instance's router sees them.
    ops.metrics.registry.register(ReplicaCollector(database.replica_status))
    app.state.ops = ops
    app.include_router(health.router)

    async def on_rate_limited(request: Request, error: Exception) -> Response:
        assert isinstance(error, RateLimited)
        return rate_limited_response(request, error)

    app.add_exception_handler(RateLimited, on_rate_limited)
    # add_middleware puts each one outside the previous: innermost first.
    app.add_middleware(
        ContinuityMiddleware, monitor=ops.monitor, deadline=settings.request_deadline
    )
    app.add_middleware(IpRateLimitMiddleware, limiter=ops.limiter, exempt_prefixes=EXEMPT_PREFIXES)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes, larger=upload_routes
    )
    app.add_middleware(
        RequestContextMiddleware,
        metrics=ops.metrics,
        routes=app,
        statement_routes=frozenset(statement_routes),
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        frame_ancestors=settings.portal_origins,
        form_action=form_action_origins(settings),
        hsts=settings.env == "production",
    )
    document_refusals(app)
    return ops
