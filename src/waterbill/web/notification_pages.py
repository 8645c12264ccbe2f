"""The notification settings page, and the links of the mails: confirm, unsubscribe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from waterbill.notifications.domain import ALL, EVENTS, read_unsubscribe_token, unsubscribe_token
from waterbill.notifications.service import (
    confirm_address,
    describe_unsubscribe,
    get_notification_settings,
    unsubscribe,
    update_notification_settings,
)
from waterbill.web.deps import CsrfChecked, CurrentCitizen, DatabaseDep, Locale, SettingsDep
from waterbill.web.templating import Templates

router = APIRouter(include_in_schema=False)


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


@router.get("/me/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """Which mails to get, for which account, at which address."""
    current = get_notification_settings(database=database, citizen=citizen)
    return _templates(request).response(
        request,
        "notifications.html",
        current=current,
        events=EVENTS,
        sms=bool(settings.sms_gateway_url),
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/me/notifications", dependencies=[CsrfChecked])
async def save_notifications(
    request: Request,
    locale: Locale,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Saves the form: one checkbox per event and code, named ``CODE:EVENT``."""
    form = await request.form()
    chosen: dict[str, list[str]] = {}
    for name in form:
        code, _, event = str(name).partition(":")
        if event and code.isdigit():
            chosen.setdefault(code, []).append(event)

    def save() -> None:
        held = get_notification_settings(database=database, citizen=citizen).accounts
        update_notification_settings(
            database=database,
            citizen=citizen,
            email=email,
            events=[],
            accounts={account.code: chosen.get(account.code, []) for account in held},
            phone=phone,
            language=locale,
            channel="web",
            sms_enabled=bool(settings.sms_gateway_url),
        )

    await run_in_threadpool(save)
    return RedirectResponse("/me/notifications?saved=1", status_code=303)


@router.get("/notifications/confirm/{token}", response_class=HTMLResponse)
def confirm(
    request: Request, locale: Locale, token: str, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """The link of the confirmation mail: no sign-in, the link proves the mailbox."""
    channel = confirm_address(database=database, key=settings.secret_bytes, token=token)
    return _templates(request).response(request, "notification_confirmed.html", channel=channel)


@router.get("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, locale: Locale, token: str, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """Asks before it stops anything: mail scanners open links, only people press buttons."""
    key = settings.secret_bytes
    what = describe_unsubscribe(database=database, key=key, token=token)
    parsed = read_unsubscribe_token(key, token)
    assert parsed is not None
    everything = unsubscribe_token(key, recipient_id=parsed[0], subscriber_id=0, event=ALL)
    return _templates(request).response(
        request,
        "unsubscribe.html",
        what=what,
        token=token,
        everything=everything,
        done=False,
    )


@router.post("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_now(
    request: Request, locale: Locale, token: str, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """One click: the page's button, or a mail program's List-Unsubscribe-Post (RFC 8058).

    No CSRF token: the signed link is the credential, and it only ever stops mail.
    """
    what = unsubscribe(database=database, key=settings.secret_bytes, token=token)
    return _templates(request).response(
        request, "unsubscribe.html", what=what, token=token, everything=None, done=True
    )
