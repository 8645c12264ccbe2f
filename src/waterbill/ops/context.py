"""Per request: an id (X-Request-Id in and out), one access-log line, and the traffic metrics."""

from __future__ import annotations

import logging
import time

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waterbill.ops.logs import new_request_id, request_id
from waterbill.ops.metrics import Metrics
from waterbill.ops.responses import send_refusal

log = logging.getLogger("waterbill.access")
UNMATCHED = "unmatched"
# A statement lookup's outcome, read from its answer: the same for pages and the API.
STATEMENT_RESULT_BY_STATUS = {
    200: "shown",
    303: "unauthenticated",
    401: "unauthenticated",
    403: "not_household",
    404: "unknown_code",
    422: "malformed_code",
    429: "rate_limited",
    503: "unavailable",
}


def route_template(app: ASGIApp, scope: Scope) -> str:
    """The route's path template (``/api/v1/statements/{code}``), never the raw path with a code."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Answered before routing (a refusal by middleware): find the route it would have reached.
    for candidate in getattr(app, "routes", []):
        match, _ = candidate.matches(scope)
        if match == Match.FULL:
            return str(getattr(candidate, "path", UNMATCHED))
    return UNMATCHED


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        routes: ASGIApp,
        statement_routes: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.statement_routes = statement_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
        rid = new_request_id(incoming)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        status_sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [
                    *[(k, v) for k, v in message["headers"] if k != b"x-request-id"],
                    (b"x-request-id", rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The trace goes to the log under the request id; the citizen gets a plain refusal.
            log.exception("request failed", extra={"method": scope["method"]})
            if status_sent:
                raise
            await send_refusal(scope, send_with_id, status=500, code="internal_error")
        finally:
            seconds = time.perf_counter() - started
            route = route_template(self.routes, scope)
            self.metrics.observe_request(
                method=scope["method"], route=route, status=status, seconds=seconds
            )
            if route in self.statement_routes and scope["method"] == "GET":
                self.metrics.count_statement_view(STATEMENT_RESULT_BY_STATUS.get(status, "error"))
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            request_id.reset(token)
