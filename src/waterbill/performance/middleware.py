"""Counts statement views, their outcome and response time, downloads and certificates, from the
answers themselves: the pages, the API and the refusals of the operations area (429, 503) alike.

Outermost, so the time measured is the whole answer a citizen waited for. It only increments the
instance's recorder; nothing is written to the database on a request.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waterbill.ops.context import STATEMENT_RESULT_BY_STATUS, route_template
from waterbill.performance.domain import CERTIFICATE, DOWNLOAD
from waterbill.performance.recorder import Recorder

# A statement asked for, by route template, and the channel it came through. ``/statements`` is
# the code form; with ``?code=`` it answers the statement itself.
STATEMENT_ROUTES: Mapping[str, str] = {
    "/statements/{code}": "web",
    "/statements": "web",
    "/api/v1/statements/{code}": "api",
}
# Other events, counted when answered with success (2xx): (method, route) -> (event, outcome).
# A new route that issues something adds its line here.
EVENT_ROUTES: Mapping[tuple[str, str], tuple[str, str]] = {
    ("GET", "/statements/{code}/statement.pdf"): (DOWNLOAD, "pdf"),
    ("GET", "/statements/{code}/statement.csv"): (DOWNLOAD, "csv"),
    ("POST", "/api/v1/certificates"): (CERTIFICATE, "issued"),
    ("POST", "/statements/{code}/certificate"): (CERTIFICATE, "issued"),
}


def _asks_for_statement(scope: Scope, route: str) -> bool:
    if route != "/statements":
        return True
    query: bytes = scope.get("query_string", b"")
    return any(part.startswith(b"code=") for part in query.split(b"&"))


class PerformanceMiddleware:
    def __init__(self, app: ASGIApp, *, recorder: Recorder, routes: ASGIApp) -> None:
        self.app = app
        self.recorder = recorder
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._count(scope, status, time.perf_counter() - started)

    def _count(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        if method not in ("GET", "POST"):
            return
        route = route_template(self.routes, scope)
        channel = STATEMENT_ROUTES.get(route)
        if method == "GET" and channel is not None and _asks_for_statement(scope, route):
            outcome = STATEMENT_RESULT_BY_STATUS.get(status, "error")
            self.recorder.statement_view(channel=channel, outcome=outcome, seconds=seconds)
            session = scope.get("state", {}).get("web_session")
            if outcome == "shown" and session is not None and session.citizen is not None:
                self.recorder.journey_reached(session.id_hash)
            return
        event = EVENT_ROUTES.get((method, route))
        if event is not None and 200 <= status < 300:
            self.recorder.record(event[0], channel=channel_of(route), outcome=event[1])


def channel_of(route: str) -> str:
    return "api" if route.startswith("/api/") else "web"
