"""``GET/PUT /api/v1/me/notifications``: the address and the events wanted per held code."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.notifications.domain import Event
from waterbill.notifications.service import (
    MalformedEmail,
    MalformedPhone,
    NotificationSettings,
    TooManyConfirmations,
    UnknownEvent,
    get_notification_settings,
    update_notification_settings,
)
from waterbill.web.deps import ApiCsrf, CurrentCitizen, DatabaseDep, Locale, SettingsDep
from waterbill.web.errors import InvalidRequest, errors_of

router = APIRouter(prefix="/api/v1", tags=["citizen"])


class AccountEventsIO(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    subscriber_code: str = Field(max_length=40)
    events: list[str] = Field(max_length=10)


class NotificationsIn(BaseModel):
    """``events`` apply to every code the citizen holds, except those listed in ``accounts``."""

    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(default=None, max_length=320)
    events: list[str] = Field(default_factory=list, max_length=10)
    accounts: list[AccountEventsIO] | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)


class AccountEventsOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    subscriber_code: str
    events: list[Event]


class NotificationsOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    email: str | None
    email_confirmed: bool
    # The events wanted for every held code; ``accounts`` has each code's own.
    events: list[Event]
    accounts: list[AccountEventsOut]
    phone: str | None
    phone_confirmed: bool

    @classmethod
    def of(cls, settings: NotificationSettings) -> NotificationsOut:
        return cls(
            email=settings.email,
            email_confirmed=settings.email_confirmed,
            events=list(settings.events),
            accounts=[
                AccountEventsOut(subscriber_code=a.code, events=list(a.events))
                for a in settings.accounts
            ],
            phone=settings.phone,
            phone_confirmed=settings.phone_confirmed,
        )


@router.get(
    "/me/notifications", response_model=NotificationsOut, responses=errors_of(Unauthenticated)
)
def my_notifications(citizen: CurrentCitizen, database: DatabaseDep) -> NotificationsOut:
    """The signed-in citizen's notification address and events."""
    return NotificationsOut.of(get_notification_settings(database=database, citizen=citizen))


@router.put(
    "/me/notifications",
    response_model=NotificationsOut,
    responses=errors_of(
        Unauthenticated,
        Forbidden,
        MalformedEmail,
        MalformedPhone,
        UnknownEvent,
        InvalidRequest,
        TooManyConfirmations,
    ),
    dependencies=[ApiCsrf],
)
def save_notifications(
    body: NotificationsIn,
    citizen: CurrentCitizen,
    database: DatabaseDep,
    settings: SettingsDep,
    locale: Locale,
) -> NotificationsOut:
    """Set the address (a confirmation mail goes to a new one) and the events per held code."""
    saved = update_notification_settings(
        database=database,
        citizen=citizen,
        email=body.email,
        events=body.events,
        accounts=(
            {a.subscriber_code: a.events for a in body.accounts}
            if body.accounts is not None
            else None
        ),
        phone=body.phone,
        language=locale,
        channel="api",
        sms_enabled=bool(settings.sms_gateway_url),
    )
    return NotificationsOut.of(saved)
