"""The language cookie and the caching headers of every answer of the app.

A pure ASGI middleware: Starlette's ``@app.middleware("http")`` runs each request through an extra
task and memory streams, which a profile under load showed as a tenth of a worker's time.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waterbill.i18n.catalogs import negotiate

LANGUAGE_COOKIE = "waterbill_lang"
_YEAR = 365 * 86400
# Every answer is generated for its request: a page shows who is signed in, most carry personal
# data. One rule, not a list of personal routes that a new page could miss (issue 22): nothing
# but the static files may be kept by a browser or a shared cache, unless a route says otherwise.
_CACHEABLE_PREFIXES = ("/static/",)


def _chosen_language(scope: Scope) -> str | None:
    """The ``?lang=`` of the request when it names a language the service speaks."""
    raw: bytes = scope.get("query_string", b"")
    query = raw.decode("latin-1")
    if "lang=" not in query:
        return None
    chosen: str | None = dict(parse_qsl(query)).get("lang")
    if chosen and negotiate(chosen) == chosen.lower():
        return chosen.lower()
    return None


def _language_cookie(locale: str) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[LANGUAGE_COOKIE] = locale
    morsel = cookie[LANGUAGE_COOKIE]
    morsel["max-age"] = _YEAR
    morsel["path"] = "/"
    morsel["samesite"] = "lax"
    morsel["httponly"] = True
    return morsel.OutputString()


class LanguageAndCaching:
    """Remembers a language chosen with ``?lang=``; marks personal answers ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = _chosen_language(scope)
        private = not scope["path"].startswith(_CACHEABLE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if chosen is not None:
                    headers.append("set-cookie", _language_cookie(chosen))
                if "referrer-policy" not in headers:
                    headers["referrer-policy"] = "same-origin"
                if private and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
