"""How the ingest's messages read: each an English msgid in the code, its texts in the catalogs.

The import's report and reject file give a message in Azerbaijani, then English; the payment API
in the language the channel asks for.
"""

from __future__ import annotations

from decimal import Decimal

from waterbill.i18n.catalogs import gettext_for
from waterbill.i18n.formatting import format_money

Params = tuple[tuple[str, object], ...]


def message_in(locale: str, msgid: str, params: Params = ()) -> str:
    """The catalog's text of ``msgid`` in ``locale`` with its values put in."""
    text = gettext_for(locale, msgid)
    return text % values_in(locale, params) if params else text


def bilingual(msgid: str, params: Params = ()) -> str:
    """Azerbaijani, then English: how the import's report and reject file word a message."""
    return f"{message_in('az', msgid, params)} / {message_in('en', msgid, params)}"


def values_in(locale: str, params: Params) -> dict[str, object]:
    """The values as they read in ``locale``: amounts as money there."""
    return {
        name: format_money(value, locale) if isinstance(value, Decimal) else value
        for name, value in params
    }
