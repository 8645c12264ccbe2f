"""The service stays honest when the database goes away or maintenance is announced.

A pure ASGI middleware, so it answers without touching the page code: citizen pages and the API get
a 503 with ``Retry-After`` (maintenance: the announced end; outage: a short retry) and never a stack
trace or a hang. Health endpoints pass through untouched and stay truthful.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waterbill import clock
from waterbill.calendar import BAKU
from waterbill.ops.dberrors import is_database_error
from waterbill.ops.maintenance import MaintenanceMonitor
from waterbill.ops.responses import send_refusal

log = logging.getLogger("waterbill.ops.continuity")

OUTAGE_RETRY_AFTER = 30
# How long a request past its deadline waits for a fresh look at the database: together with the
# deadline it stays under the 2 s within which a citizen must hear about an outage.
RECHECK_TIMEOUT = 0.4
EXEMPT_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/")


class ContinuityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        monitor: MaintenanceMonitor,
        deadline: float,
        exempt_prefixes: Iterable[str] = EXEMPT_PREFIXES,
    ) -> None:
        self.app = app
        self.monitor = monitor
        self.deadline = deadline
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        probe = await self.monitor.probe()
        if not probe.database_ok:
            await self._outage(scope, send, reason="probe")
            return
        if probe.maintenance is not None:
            window = probe.maintenance
            now = clock.now()
            await send_refusal(
                scope,
                send,
                status=503,
                code="maintenance",
                retry_after=window.seconds_left(now),
                note=window.message,
                details={"until": window.until.isoformat()},
                until=window.until.astimezone(BAKU).strftime("%d.%m.%Y %H:%M"),
            )
            return
        remaining = max(0.05, self.deadline - (time.monotonic() - started))
        await self._guarded(scope, receive, send, remaining)

    async def _outage(self, scope: Scope, send: Send, *, reason: str) -> None:
        # The monitor logs the outage once; each refused request is only a debug line.
        log.debug("answered database unavailable", extra={"reason": reason})
        await send_refusal(
            scope, send, status=503, code="database_unavailable", retry_after=OUTAGE_RETRY_AFTER
        )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, remaining: float) -> None:
        """Run the app; answer 503 if it fails on the database or has not answered in time."""
        response_started = False
        response_complete = False
        abandoned = False
        failure: BaseException | None = None
        answered = anyio.Event()

        async def guarded_send(message: Message) -> None:
            nonlocal response_started, response_complete
            if abandoned:
                return
            if message["type"] == "http.response.start":
                response_started = True
                answered.set()
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                response_complete = True
            await send(message)

        async def run() -> None:
            nonlocal failure
            try:
                await self.app(scope, receive, guarded_send)
            except Exception as error:  # re-raised below unless it is an outage
                failure = error
            finally:
                answered.set()

        async with anyio.create_task_group() as group:
            group.start_soon(run)
            with anyio.move_on_after(remaining):
                await answered.wait()
            if not answered.is_set():
                self.monitor.expire()
                probe = await self.monitor.probe(recheck=RECHECK_TIMEOUT)
                if probe.database_ok:
                    # The database answers: the request is slow (a PDF on a busy machine), not
                    # stuck on it. Telling the citizen the database is lost would be false.
                    await answered.wait()
                else:
                    # Page code blocked in a thread cannot be interrupted; its late answer is
                    # dropped.
                    abandoned = True
                    await self._outage(scope, send, reason="deadline")
                    group.cancel_scope.cancel()
                    return
        if failure is None:
            return
        if is_database_error(failure) and not response_started:
            self.monitor.report_failure()
            await self._outage(scope, send, reason=type(failure).__name__)
            return
        if is_database_error(failure) and response_complete:
            # The citizen has the whole answer; only the clean-up after it met the outage
            # (a rollback on a connection that just broke). Nothing is lost, nothing to raise.
            self.monitor.report_failure()
            log.debug("database lost after the answer", extra={"error": type(failure).__name__})
            return
        raise failure
