"""gettext translations from the Babel catalogs in ``locales/<locale>/LC_MESSAGES/messages.po``.

Message ids are English. The ``.po`` files are the single source: they are compiled in memory on
first use, so a stale ``.mo`` can never disagree with them.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from waterbill.i18n import DEFAULT_LOCALE, LOCALES

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


def supported(locale: str | None) -> str:
    """The locale itself when the service speaks it, otherwise Azerbaijani."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=len(LOCALES) + 1)
def translations(locale: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / supported(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=supported(locale))
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
