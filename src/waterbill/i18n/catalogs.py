"""Gettext catalogs for az, en and ru, compiled in memory from the tracked ``.po`` files.

Compiling at start-up keeps generated ``.mo`` files out of the repository and can never serve a
stale catalog: what is in the ``.po`` file is what users see.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from waterbill.i18n import DEFAULT_LOCALE, LOCALES

DOMAIN = "messages"


def po_path(locale: str) -> resources.abc.Traversable:
    return resources.files("waterbill.i18n") / "locales" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``locale``; an unknown locale gets the default one."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    with po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


def negotiate(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first supported of the explicit choices, then of ``Accept-Language``, else az."""
    for candidate in candidates:
        if candidate and candidate.strip().lower() in LOCALES:
            return candidate.strip().lower()
    for tag in _accepted(accept_language or ""):
        base = tag.split("-", 1)[0]
        if base in LOCALES:
            return base
    return DEFAULT_LOCALE


def _accepted(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]
