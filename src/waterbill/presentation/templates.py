"""Jinja2 with gettext: one environment per language, so rendering is thread-safe.

The pages (web/templates) and the notification mails (notifications/templates) render through
the same filters, so money, volumes and months read the same on a page and in a mail.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from waterbill.calendar import YearMonth
from waterbill.i18n import LOCALES
from waterbill.i18n.catalogs import translations
from waterbill.i18n.formatting import format_instant, format_money, format_month, format_volume


class LocalisedTemplates:
    def __init__(self, package: str) -> None:
        self._environments = {locale: self._environment(package, locale) for locale in LOCALES}

    @staticmethod
    def _environment(package: str, locale: str) -> Environment:
        environment = Environment(
            loader=PackageLoader(package, "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship with the package and change only with a deployment, which restarts
            # the app; checking their files on every render cost a stat() per template.
            auto_reload=False,
        )
        environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]

        def money(value: Decimal) -> str:
            return format_money(value, locale)

        def volume(value: Decimal) -> str:
            return format_volume(value, locale)

        def month(value: YearMonth) -> str:
            return format_month(value, locale)

        def day(value: date) -> str:
            return value.isoformat()

        def instant(value: datetime) -> str:
            return format_instant(value, locale)

        environment.filters.update(
            money=money, volume=volume, month=month, day=day, instant=instant
        )
        return environment

    def render(self, name: str, *, locale: str, **context: Any) -> str:
        environment = self._environments.get(locale) or self._environments["az"]
        return environment.get_template(name).render(locale=locale, **context)
