"""The pages' templates: the shared Jinja2 environments, answered as HTML responses."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from waterbill.presentation.templates import LocalisedTemplates


class Templates(LocalisedTemplates):
    def __init__(self) -> None:
        super().__init__("waterbill.web")

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
