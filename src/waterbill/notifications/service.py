"""Notification settings, confirmation and unsubscription: what pages and the API call."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection

from waterbill import clock
from waterbill.audit.service import record_event
from waterbill.audit.tags import Channel, EventTag
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.db.database import Database
from waterbill.errors import ServiceError
from waterbill.i18n import LOCALES
from waterbill.identifiers import well_formed_code
from waterbill.notifications import repository
from waterbill.notifications.domain import (
    ALL,
    CONFIRM,
    EVENTS,
    Event,
    confirm_matches,
    normalise_phone,
    read_confirm_token,
    read_unsubscribe_token,
)
from waterbill.notifications.outbox import insert_ignoring_repeats

log = logging.getLogger(__name__)


class MalformedEmail(ServiceError):
    code = "malformed_email"
    status = 422


class MalformedPhone(ServiceError):
    code = "malformed_phone"
    status = 422


class UnknownEvent(ServiceError):
    code = "unknown_event"
    status = 422


class InvalidLink(ServiceError):
    code = "invalid_link"
    status = 404


class TooManyConfirmations(ServiceError):
    """Each new address gets a mail: a cap keeps the form from mailing strangers in bulk."""

    code = "rate_limited"
    status = 429


# Confirmation mails one citizen may cause per day, however often the address changes.
CONFIRMATIONS_PER_DAY = 5


@dataclass(frozen=True, slots=True)
class AccountEvents:
    code: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    email: str | None
    email_confirmed: bool
    phone: str | None
    phone_confirmed: bool
    # The events wanted for every code the citizen holds, and per code.
    events: tuple[Event, ...]
    accounts: tuple[AccountEvents, ...]


@dataclass(frozen=True, slots=True)
class Unsubscription:
    code: str | None
    event: str


def _events(values: Sequence[str]) -> tuple[Event, ...]:
    unknown = [value for value in values if value not in EVENTS]
    if unknown:
        raise UnknownEvent(event=unknown[0], events=", ".join(EVENTS))
    return tuple(event for event in EVENTS if event in values)


def _email(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        checked = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise MalformedEmail() from None
    if len(checked.normalized) > 254:
        raise MalformedEmail()
    return str(checked.normalized)


def _phone(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    phone = normalise_phone(text)
    if phone is None:
        raise MalformedPhone()
    return phone


def _code(text: str) -> str:
    """A code as stored (spaces and hyphens dropped); one that is no code matches no account."""
    return well_formed_code(text, (1, 32)) or text.strip()


def _read(db: Connection, citizen: Citizen) -> NotificationSettings:
    held = repository.held_codes(db, citizen.fin)
    row = repository.recipient_of(db, citizen.pseudonym)
    chosen: dict[int, set[str]] = {}
    if row is not None:
        for subscriber_id, event in repository.subscriptions(db, row.id):
            chosen.setdefault(subscriber_id, set()).add(event)
    accounts = tuple(
        AccountEvents(code, tuple(e for e in EVENTS if e in chosen.get(subscriber_id, ())))
        for subscriber_id, code in held
    )
    common = tuple(e for e in EVENTS if accounts and all(e in a.events for a in accounts))
    return NotificationSettings(
        email=row.email if row is not None else None,
        email_confirmed=row is not None and row.email_confirmed_at is not None,
        phone=row.phone if row is not None else None,
        phone_confirmed=row is not None and row.phone_confirmed_at is not None,
        events=common,
        accounts=accounts,
    )


def get_notification_settings(*, database: Database, citizen: Citizen) -> NotificationSettings:
    with database.read(primary=True) as db:
        return _read(db, citizen)


def update_notification_settings(
    *,
    database: Database,
    citizen: Citizen,
    email: str | None,
    events: Sequence[str],
    accounts: Mapping[str, Sequence[str]] | None = None,
    phone: str | None = None,
    language: str = "az",
    channel: Channel = "api",
    sms_enabled: bool = False,
    now: datetime | None = None,
) -> NotificationSettings:
    """Saves the address and the events per held code. A new or changed address is unconfirmed
    until the link of the confirmation mail (queued here, in the same transaction) is opened."""
    at = now or clock.now()
    address = _email(email)
    number = _phone(phone) if sms_enabled else None
    default = _events(events)
    per_code = {_code(code): _events(wanted) for code, wanted in (accounts or {}).items()}
    with database.write() as db:
        held = repository.held_codes(db, citizen.fin)
        codes = {code: subscriber_id for subscriber_id, code in held}
        for code in per_code:
            if code not in codes:
                raise Forbidden(reason="notifications_code", code=code)
        row = repository.recipient_of(db, citizen.pseudonym, lock=True)
        if row is None:
            recipient_id = repository.create_recipient(
                db, citizen_id=citizen.pseudonym, language=language, now=at
            )
            old_email, old_phone, email_at, phone_at = None, None, None, None
        else:
            recipient_id = row.id
            old_email, old_phone = row.email, row.phone
            email_at, phone_at = row.email_confirmed_at, row.phone_confirmed_at
        email_changed = (address or "").lower() != (old_email or "").lower()
        phone_changed = number != old_phone
        repository.update_recipient(
            db,
            recipient_id,
            email=address,
            email_confirmed_at=None if email_changed else email_at,
            phone=number,
            phone_confirmed_at=None if phone_changed else phone_at,
            language=language if language in LOCALES else "az",
            updated_at=at,
        )
        repository.replace_subscriptions(
            db,
            recipient_id,
            (
                (subscriber_id, event)
                for code, subscriber_id in codes.items()
                for event in per_code.get(code, default)
            ),
        )
        confirmations = [
            (medium, value)
            for medium, value, changed, confirmed_at in (
                ("email", address, email_changed, email_at),
                ("sms", number, phone_changed, phone_at),
            )
            if value is not None and (changed or confirmed_at is None)
        ]
        if confirmations and (
            repository.confirmations_since(db, recipient_id, at - timedelta(days=1))
            >= CONFIRMATIONS_PER_DAY
        ):
            raise TooManyConfirmations()
        for medium, value in confirmations:
            _queue_confirmation(db, recipient_id, medium, value, at)
        result = _read(db, citizen)
        record_event(
            db=db,
            tag=EventTag.NOTIFICATIONS_UPDATED,
            actor=citizen.pseudonym,
            channel=channel,
            auth_method=citizen.auth_method,
            details={
                "events": ",".join(sorted({e for a in result.accounts for e in a.events})),
                "email_changed": email_changed,
                "email": address is not None,
            },
            now=at,
        )
    return result


def _queue_confirmation(
    db: Connection, recipient_id: int, channel: str, address: str, now: datetime
) -> None:
    """At most one confirmation per address and hour, however often the settings are saved."""
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    hour = now.strftime("%Y%m%d%H")
    values = {
        "event": CONFIRM,
        "event_key": f"{CONFIRM}:{channel}:{digest}:{hour}",
        "recipient_id": recipient_id,
        "channel": channel,
        "address": address,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    statement = insert_ignoring_repeats(db).values(values).on_conflict_do_nothing()
    db.execute(statement)


def confirm_address(
    *, database: Database, key: bytes, token: str, now: datetime | None = None
) -> str:
    """Confirms the address the link was sent to (no sign-in: the link proves the mailbox).

    Returns the channel; InvalidLink when the link is forged or the address has changed since.
    """
    parsed = read_confirm_token(token)
    if parsed is None:
        raise InvalidLink()
    recipient_id, channel, signature = parsed
    at = now or clock.now()
    with database.write() as db:
        row = repository.recipient(db, recipient_id)
        address = None if row is None else (row.email if channel == "email" else row.phone)
        if address is None or not confirm_matches(
            key, recipient_id=recipient_id, channel=channel, address=address, signature=signature
        ):
            raise InvalidLink()
        column = "email_confirmed_at" if channel == "email" else "phone_confirmed_at"
        if getattr(row, column) is None:
            repository.update_recipient(db, recipient_id, **{column: at, "updated_at": at})
            record_event(
                db=db,
                tag=EventTag.NOTIFICATIONS_CONFIRMED,
                actor=row.citizen_id,
                channel="web",
                details={"channel": channel},
                now=at,
            )
    return channel


def describe_unsubscribe(*, database: Database, key: bytes, token: str) -> Unsubscription:
    """What the link would stop, for the page that asks to confirm it."""
    parsed = read_unsubscribe_token(key, token)
    if parsed is None:
        raise InvalidLink()
    _, subscriber_id, event = parsed
    with database.read(primary=True) as db:
        code = repository.subscriber_code(db, subscriber_id) if subscriber_id else None
    return Unsubscription(code, event)


def unsubscribe(
    *, database: Database, key: bytes, token: str, now: datetime | None = None
) -> Unsubscription:
    """One event of one code, or (``all``) every mail: the address is forgotten."""
    parsed = read_unsubscribe_token(key, token)
    if parsed is None:
        raise InvalidLink()
    recipient_id, subscriber_id, event = parsed
    at = now or clock.now()
    with database.write() as db:
        row = repository.recipient(db, recipient_id)
        if row is None:
            raise InvalidLink()
        code = repository.subscriber_code(db, subscriber_id) if subscriber_id else None
        if event == ALL:
            repository.update_recipient(
                db,
                recipient_id,
                email=None,
                email_confirmed_at=None,
                phone=None,
                phone_confirmed_at=None,
                updated_at=at,
            )
        else:
            repository.unsubscribe(db, recipient_id, subscriber_id, event)
        record_event(
            db=db,
            tag=EventTag.NOTIFICATIONS_UNSUBSCRIBED,
            actor=row.citizen_id,
            channel="web",
            code=code,
            details={"event": event},
            now=at,
        )
    log.info("notifications: %s unsubscribed from %s", row.citizen_id, event)
    return Unsubscription(code, event)
