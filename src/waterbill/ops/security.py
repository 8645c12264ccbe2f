"""Response headers that close whole classes of attack, and a ceiling on request bodies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waterbill.ops.responses import send_refusal

HSTS = "max-age=63072000; includeSubDomains"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


def content_security_policy(*, frame_ancestors: Iterable[str], form_action: Iterable[str]) -> str:
    ancestors = " ".join(frame_ancestors) or "'none'"
    actions = " ".join(["'self'", *form_action])
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"frame-ancestors {ancestors}",
            f"form-action {actions}",
        ]
    )


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response, including refusals answered by other middleware."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        frame_ancestors: Iterable[str] = (),
        form_action: Iterable[str] = (),
        hsts: bool = False,
    ) -> None:
        self.app = app
        headers = {
            "content-security-policy": content_security_policy(
                frame_ancestors=frame_ancestors, form_action=form_action
            ),
            "x-content-type-options": "nosniff",
            "referrer-policy": "strict-origin-when-cross-origin",
            "permissions-policy": PERMISSIONS_POLICY,
            "cross-origin-opener-policy": "same-origin",
        }
        if hsts:
            headers["strict-transport-security"] = HSTS
        if "frame-ancestors 'none'" in headers["content-security-policy"]:
            # For browsers without CSP level 2; with a portal allowed, frame-ancestors alone rules.
            headers["x-frame-options"] = "DENY"
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


class _TooLarge(HTTPException):
    """An HTTPException so that frameworks parsing the body pass it on instead of a 400."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodySizeLimitMiddleware:
    """413 for a body over ``max_bytes``, whether announced by Content-Length or streamed.

    ``larger`` gives the few upload routes (exact paths) a bigger allowance of their own.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = max_bytes + 1
                if declared > max_bytes:
                    await send_refusal(scope, send, status=413, code="request_too_large")
                    return
        received = 0
        exceeded = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def refusing_send(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                # Whatever the app made of the aborted body, the citizen gets the one clear refusal.
                refused = True
                await send_refusal(scope, send, status=413, code="request_too_large")

        try:
            await self.app(scope, counting_receive, refusing_send)
        except _TooLarge:
            if not refused:
                refused = True
                await send_refusal(scope, send, status=413, code="request_too_large")
