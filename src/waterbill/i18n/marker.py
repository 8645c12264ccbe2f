"""The one extraction marker: ``_("…")`` names a msgid for ``make messages``; nothing is translated
here, because the language is known only where the text is shown (``i18n.catalogs.gettext_for``)."""

from __future__ import annotations


def _(message: str) -> str:
    return message
