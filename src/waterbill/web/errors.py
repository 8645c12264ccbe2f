"""Every refusal leaves the app here: the API's error JSON, or the error page, in the user's
language.

The status, the stable code and the message are the refusal class's own (``waterbill.errors``).
The framework's refusals (a parameter of the wrong type, an unknown path …) are classes here too,
so they take the same way out; the OpenAPI ``responses`` of a route are derived from the classes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.errors import ServiceError
from waterbill.i18n.messages import refusal_message
from waterbill.ops.responses import ErrorOut
from waterbill.web.deps import get_locale
from waterbill.web.templating import Templates


class InvalidRequest(ServiceError):
    """A parameter or a body the framework's validation refused."""

    code = "validation_error"
    status = 422


class MalformedRequest(ServiceError):
    """A body the framework could not parse (broken multipart, JSON that is not UTF-8)."""

    code = "malformed_request"
    status = 400


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class MethodNotAllowed(ServiceError):
    code = "method_not_allowed"
    status = 405


class InternalError(ServiceError):
    code = "internal_error"
    status = 500


# The framework's HTTP refusals, by status, as refusals of the registry.
_HTTP_REFUSALS: dict[int, type[ServiceError]] = {
    400: MalformedRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
}


def errors_of(*refusals: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that may refuse with ``refusals``: by status, each
    code with the first paragraph of its classes' docstrings."""
    by_status: dict[int, dict[str, list[str]]] = {}
    for refusal in refusals:
        summaries = by_status.setdefault(refusal.status, {}).setdefault(refusal.code, [])
        # Only the class's own docstring: a subclass without one says nothing of its parent's.
        summary = " ".join((vars(refusal).get("__doc__") or "").split("\n\n")[0].split())
        if summary and summary not in summaries:
            summaries.append(summary)
    return {
        status: {
            "model": ErrorOut,
            "description": "\n".join(
                f"- `{code}`" + (f": {' '.join(summaries)}" if summaries else "")
                for code, summaries in codes.items()
            ),
        }
        for status, codes in sorted(by_status.items())
    }


def refusal_response(
    request: Request, refusal: ServiceError, *, status: int | None = None
) -> Response:
    """The refusal as JSON under /api and as a page elsewhere, in the user's language.

    ``status`` replaces the class's own for a framework refusal that came with another one.
    """
    locale = get_locale(request)
    status = status or refusal.status
    message = refusal_message(refusal, locale)
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
    if request.url.path.startswith("/api/"):
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(
            {"error": {"code": refusal.code, "message": message}},
            status_code=status,
            headers=headers,
            media_type="application/json",
        )
    if refusal.code == Unauthenticated.code and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/auth/login?next={quote(target, safe='')}", status_code=303)
    templates: Templates = request.app.state.templates
    page = templates.response(
        request,
        "error.html",
        status_code=status,
        locale=locale,
        code=refusal.code,
        message=message,
    )
    page.headers.update(headers)
    return page


def _service_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ServiceError)
    return refusal_response(request, error)


def _validation_error(request: Request, error: Exception) -> Response:
    return refusal_response(request, InvalidRequest())


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    refusal = _HTTP_REFUSALS.get(error.status_code)
    if refusal is None:
        # A body the framework could not parse is the caller's fault: never a 500.
        refusal = MalformedRequest if error.status_code < 500 else InternalError
    return refusal_response(request, refusal(), status=error.status_code)


def install_refusals(app: FastAPI) -> None:
    """The one handler of every refusal: ours, the framework's validation and its HTTP errors.

    ``RateLimited`` is the exception: ``ops.setup`` answers it, as it answers the IP limit its own
    middleware enforces, with the minutes to wait (a more specific handler wins in Starlette).
    """
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
