"""The development provider's endpoints: discovery, JWKS, authorize (the sign-in page), token.

Its refusals are OAuth's own (``{"error": "invalid_grant", …}``, RFC 6749), not the app's: the
relying party reads them as it would the real provider's. Its page stands in for the e-gov
portal's own sign-in, which speaks Azerbaijani only, so its few texts are typed here in Azerbaijani
rather than kept in the service's catalogs; it never runs outside development and the tests.
"""

from __future__ import annotations

import base64
import secrets
from typing import Annotated, Any
from urllib.parse import unquote

import anyio
from anyio.lowlevel import RunVar
from authlib.common.urls import add_params_to_uri
from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from waterbill.auth.devidp import service
from waterbill.auth.devidp.keys import public_jwks
from waterbill.identifiers import is_fin
from waterbill.ops.threads import own_threads
from waterbill.web.deps import DatabaseDep, get_settings
from waterbill.web.templating import Templates

router = APIRouter(prefix="/dev-idp", include_in_schema=False)

REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)
METHOD_NAMES = {
    "asan_imza": "Asan İmza",
    "e_signature": "Elektron imza kartı",
    "password": "İstifadəçi adı və şifrə",
}


async def _form(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


FormData = Annotated[dict[str, str], Depends(_form)]


# The endpoints the app itself calls from inside a request (discovery, JWKS, token) never take
# one of the app's request threads: those are as many as its pooled connections and may all be
# waiting on this very answer, as they would never wait on the real provider, a separate server.
# Discovery and JWKS are computed on the event loop; the token endpoint's database work runs on
# the provider's own threads.
_PROVIDER_THREADS: RunVar[anyio.CapacityLimiter] = RunVar("waterbill_dev_idp_threads")


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request) -> dict[str, Any]:
    return service.discovery_document(get_settings(request))


@router.get("/jwks")
async def jwks(request: Request) -> dict[str, object]:
    return public_jwks(get_settings(request).secret_bytes)


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    return templates.response(request, f"devidp/{name}", status_code=status, locale="az", **context)


@router.get("/authorize", response_class=HTMLResponse)
def authorize_page(request: Request, database: DatabaseDep) -> Response:
    params = {field: request.query_params.get(field, "") for field in REQUEST_FIELDS}
    try:
        service.check_authorization_request(get_settings(request), params)
    except service.AuthorizationError as error:
        return _page(request, "error.html", status=400, error=error)
    return _page(
        request,
        "signin.html",
        params=params,
        citizens=service.demo_citizens(database=database),
        methods=METHOD_NAMES,
        problem=None,
        signed_in=_provider_session(request),
    )


def _provider_session(request: Request) -> tuple[str, str] | None:
    return service.provider_session(
        get_settings(request), request.cookies.get(service.PROVIDER_SESSION_COOKIE)
    )


def _back_to_client(
    request: Request,
    *,
    database: DatabaseDep,
    auth_request: service.AuthorizationRequest,
    fin: str,
    method: str,
) -> Response:
    """The code for the client, and the provider's own session remembered in its cookie."""
    code = service.issue_code(database=database, request=auth_request, fin=fin, method=method)
    target = add_params_to_uri(
        auth_request.redirect_uri, [("code", code), ("state", auth_request.state)]
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        service.PROVIDER_SESSION_COOKIE,
        service.provider_session_cookie(get_settings(request), fin=fin, method=method),
        path=router.prefix,
        httponly=True,
        samesite="lax",
        secure=not get_settings(request).is_development,
    )
    return response


@router.post("/authorize/continue", response_class=HTMLResponse)
def continue_signed_in(request: Request, database: DatabaseDep, form: FormData) -> Response:
    """Single sign-on: the citizen signed in at the portal earlier continues without a password."""
    params = {field: str(form.get(field, "")) for field in REQUEST_FIELDS}
    try:
        auth_request = service.check_authorization_request(get_settings(request), params)
    except service.AuthorizationError as error:
        return _page(request, "error.html", status=400, error=error)
    signed_in = _provider_session(request)
    if signed_in is None:
        ended = service.AuthorizationError("login_required", "the portal session has ended")
        return _page(request, "error.html", status=400, error=ended)
    fin, method = signed_in
    return _back_to_client(
        request, database=database, auth_request=auth_request, fin=fin, method=method
    )


@router.get("/end_session", response_class=HTMLResponse)
def end_session(request: Request) -> Response:
    """RP-initiated logout: the portal's session ends, and the browser goes back to the client."""
    params = dict(request.query_params)
    try:
        target = service.check_end_session_request(get_settings(request), params)
    except service.AuthorizationError as error:
        return _page(request, "error.html", status=400, error=error)
    if params.get("state"):
        target = add_params_to_uri(target, [("state", params["state"])])
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(service.PROVIDER_SESSION_COOKIE, path=router.prefix)
    return response


@router.post("/authorize", response_class=HTMLResponse)
def authorize(
    request: Request,
    database: DatabaseDep,
    form: FormData,
    method: Annotated[str, Form()] = "",
    fin: Annotated[str, Form()] = "",
    fin_typed: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    """Signs the chosen citizen in: Asan İmza asks for a confirmation first, as on the phone."""
    settings = get_settings(request)
    params = {field: str(form.get(field, "")) for field in REQUEST_FIELDS}
    try:
        auth_request = service.check_authorization_request(settings, params)
    except service.AuthorizationError as error:
        return _page(request, "error.html", status=400, error=error)
    chosen = (fin_typed or fin).strip().upper()
    problem = None
    if method not in METHOD_NAMES:
        problem = "Giriş üsulunu seçin."
    elif not is_fin(chosen):
        problem = "FİN 7 simvoldur: latın hərfləri (I və O-dan başqa) və rəqəmlər."
    elif method == "asan_imza" and not (phone.strip() and user_id.strip()):
        problem = "Asan İmza üçün mobil nömrəni və istifadəçi ID-ni daxil edin."
    if problem is not None:
        citizens = service.demo_citizens(database=database)
        return _page(
            request,
            "signin.html",
            status=422,
            params=params,
            citizens=citizens,
            methods=METHOD_NAMES,
            problem=problem,
        )
    if method == "asan_imza" and confirmed != "yes":
        return _page(
            request,
            "confirm.html",
            params=params,
            method=method,
            fin=chosen,
            phone=phone,
            user_id=user_id,
            verification=f"{secrets.randbelow(10000):04d}",
        )
    return _back_to_client(
        request, database=database, auth_request=auth_request, fin=chosen, method=method
    )


@router.post("/token")
async def token(
    request: Request,
    database: DatabaseDep,
    grant_type: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    redirect_uri: Annotated[str, Form()] = "",
    code_verifier: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
        except ValueError:
            decoded = ":"
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, client_secret = unquote(basic_id), unquote(basic_secret)
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if grant_type != "authorization_code":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400, headers=headers)
    settings = get_settings(request)

    def redeem() -> dict[str, Any]:
        return service.redeem_code(
            database=database,
            settings=settings,
            code=code,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )

    try:
        threads = own_threads(_PROVIDER_THREADS, 4)
        answer = await anyio.to_thread.run_sync(redeem, limiter=threads)
    except service.AuthorizationError as error:
        status = 401 if error.error == "invalid_client" else 400
        body = {"error": error.error, "error_description": error.description}
        return JSONResponse(body, status_code=status, headers=headers)
    return JSONResponse(answer, headers=headers)
