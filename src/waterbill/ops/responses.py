"""Refusals answered straight at the ASGI level: JSON for the API, a plain page for people.

The page has no inline script or style (the CSP forbids them) and escapes every value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from html import escape
from http.cookies import CookieError, SimpleCookie
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute
from starlette.types import Scope, Send

from waterbill.ops.messages import choose_locale, message, title

log = logging.getLogger("waterbill.ops.responses")

API_PREFIX = "/api/"


class PageRenderer(Protocol):
    def __call__(
        self, *, scope: Scope, code: str, locale: str, text: str, note: str | None
    ) -> str: ...


# The web pages keep the chosen language in this cookie.
LANGUAGE_COOKIE = "waterbill_lang"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def locale_of(scope: Scope) -> str:
    cookie_header = _header(scope, b"cookie")
    cookie: str | None = None
    if cookie_header:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie_header)
        except CookieError:  # a malformed Cookie header only loses the language preference
            jar = SimpleCookie()
        if LANGUAGE_COOKIE in jar:
            cookie = jar[LANGUAGE_COOKIE].value
    return choose_locale(
        query=scope.get("query_string", b"").decode("latin-1"),
        cookie=cookie,
        accept_language=_header(scope, b"accept-language"),
    )


def wants_json(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    return path.startswith(API_PREFIX) or "application/json" in (_header(scope, b"accept") or "")


def render_page(*, code: str, locale: str, text: str, note: str | None = None) -> str:
    heading = escape(title(code, locale))
    extra = f"<p>{escape(note)}</p>\n" if note else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{heading} – Azərsu</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{heading}</h1>\n<p>{escape(text)}</p>\n{extra}</main>\n</body>\n</html>\n"
    )


def page(scope: Scope, *, code: str, locale: str, text: str, note: str | None) -> str:
    """The app's own error page when it has one (same look, no database needed), else ours."""
    state = getattr(scope.get("app"), "state", None)
    renderer: PageRenderer | None = getattr(getattr(state, "ops", None), "page_renderer", None)
    if renderer is not None:
        try:
            return renderer(scope=scope, code=code, locale=locale, text=text, note=note)
        except Exception:
            # A refusal must never become a 500: the plain page says the same.
            log.exception("error page could not be rendered", extra={"code": code})
    return render_page(code=code, locale=locale, text=text, note=note)


async def send_refusal(
    scope: Scope,
    send: Send,
    *,
    status: int,
    code: str,
    retry_after: int | None = None,
    note: str | None = None,
    details: dict[str, object] | None = None,
    **params: object,
) -> None:
    """Answer a refusal; ``note`` is the operator's own words, shown as they were written."""
    locale = locale_of(scope)
    text = message(code, locale, **params)
    if wants_json(scope):
        error: dict[str, object] = {"code": code, "message": f"{text} {note}" if note else text}
        error.update(details or {})
        body = json.dumps({"error": error}, ensure_ascii=False).encode()
        content_type = b"application/json"
    else:
        # The app's own error page when it has one (same look, no database needed), else ours.
        body = page(scope, code=code, locale=locale, text=text, note=note).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", locale.encode()),
        (b"cache-control", b"no-store"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """``{"error": {"code": …, "message": …}}``, the one shape of every refusal of the API."""

    error: ErrorBody


# The refusals this area may answer on any API route, before the route itself runs.
API_REFUSALS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorOut, "description": "The request body is too large."},
    429: {"model": ErrorOut, "description": "Too many requests; see Retry-After."},
    503: {
        "model": ErrorOut,
        "description": "Database unavailable or announced maintenance; see Retry-After.",
    },
}


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every route of the app, those of included routers too (FastAPI wraps each router)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def document_refusals(app: FastAPI) -> None:
    """Declare the refusals above on every API route, so the OpenAPI schema tells the truth."""
    for route in api_routes(app.routes):
        if route.path.startswith(API_PREFIX):
            for status, spec in API_REFUSALS.items():
                route.responses.setdefault(status, spec)
    app.openapi_schema = None
