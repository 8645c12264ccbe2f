"""Jinja2 with gettext: one environment per language, so rendering is thread-safe."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from waterbill.calendar import YearMonth
from waterbill.i18n import LOCALES
from waterbill.i18n.catalogs import translations
from waterbill.i18n.formatting import format_instant, format_money, format_month, format_volume


class Templates:
    def __init__(self) -> None:
        self._environments = {locale: self._environment(locale) for locale in LOCALES}

    @staticmethod
    def _environment(locale: str) -> Environment:
        environment = Environment(
            loader=PackageLoader("waterbill.web", "templates"),
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

    def response(
        self,
        request: Request,
        name: str,
        *,
        status_code: int = 200,
        locale: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        locale = locale or str(getattr(request.state, "locale", "az"))
        context.setdefault("session", getattr(request.state, "web_session", None))
        context.setdefault("path", request.url.path)
        html = self.render(name, locale=locale, request=request, **context)
        return HTMLResponse(html, status_code=status_code, headers={"Content-Language": locale})
