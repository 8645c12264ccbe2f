"""The refusals this area answers itself; their translations live in the gettext catalogs.

They are answered before any page code runs (the database may be gone), so they need nothing but
the catalogs. ``make messages`` extracts the texts below with the rest.
"""

from __future__ import annotations

from collections.abc import Mapping

from waterbill.i18n import DEFAULT_LOCALE, LOCALES
from waterbill.i18n.catalogs import gettext_for
from waterbill.i18n.marker import _

HOTLINE = "955"


TITLES: Mapping[str, str] = {
    "database_unavailable": _("The service is temporarily unavailable"),
    "maintenance": _("Announced maintenance"),
    "rate_limited": _("Too many requests"),
    "request_too_large": _("The request is too large"),
    "internal_error": _("Something went wrong"),
}

MESSAGES: Mapping[str, str] = {
    "database_unavailable": _(
        "The connection to the database is temporarily lost. Please try again in a few "
        "minutes. For questions call the hotline %(hotline)s."
    ),
    "maintenance": _(
        "The service is under announced maintenance until %(until)s (Baku time). "
        "Hotline: %(hotline)s."
    ),
    "rate_limited": _(
        "Too many requests in a short time. Please try again in %(minutes)s minutes."
    ),
    "request_too_large": _("The data sent is larger than allowed."),
    "internal_error": _(
        "Something went wrong on our side. Please try again later. Hotline: %(hotline)s."
    ),
}


def message(code: str, locale: str, **params: object) -> str:
    return gettext_for(locale, MESSAGES[code]) % {"hotline": HOTLINE, **params}


def title(code: str, locale: str) -> str:
    return gettext_for(locale, TITLES[code])


def choose_locale(*, query: str, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=``, then the language cookie, then the browser's languages, then Azerbaijani."""
    for part in query.split("&"):
        key, _sep, value = part.partition("=")
        if key == "lang" and value in LOCALES:
            return value
    if cookie in LOCALES:
        return cookie
    for item in (accept_language or "").split(","):
        tag = item.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE
