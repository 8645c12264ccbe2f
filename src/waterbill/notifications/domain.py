"""The rules of notifications, without a framework: events, signed links, retries, Message-IDs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import timedelta
from typing import Literal

Event = Literal["bill_issued", "payment_posted", "dispute_answered", "leak_warning"]
EVENTS: tuple[Event, ...] = ("bill_issued", "payment_posted", "dispute_answered", "leak_warning")
Channel = Literal["email", "sms"]
CONFIRM = "confirm"
# An unsubscribe link's scope: one event of one code, or every mail to the address.
ALL = "all"

# E.164 as the SMS gateways take it: a plus, the country code and the number.
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")


def normalise_phone(text: str) -> str | None:
    """``+994 50 123-45-67`` as ``+994501234567``; None when it is not a number in E.164."""
    digits = re.sub(r"[\s\-()]", "", text)
    return digits if _PHONE.match(digits) else None


def backoff(attempts: int, *, base_seconds: float) -> timedelta:
    """The wait before the next try: doubling from ``base_seconds``, at most an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 3600))


def idempotency_key(event_key: str, recipient_id: int, channel: str) -> str:
    return hashlib.sha256(f"{event_key}|{recipient_id}|{channel}".encode()).hexdigest()[:40]


def message_id(event_key: str, recipient_id: int, channel: str, domain: str) -> str:
    """The same Message-ID for every try of one event to one recipient: a mailbox that got it
    once drops a copy, and the SMTP log shows which outbox row a mail came from."""
    return f"<{idempotency_key(event_key, recipient_id, channel)}@{domain}>"


def _sign(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def confirm_token(key: bytes, *, recipient_id: int, channel: str, address: str) -> str:
    """A link that confirms exactly this address: a later change of address voids it."""
    signature = _sign(key, f"confirm|{recipient_id}|{channel}|{address.lower()}")
    return f"{recipient_id}.{channel}.{signature}"


def read_confirm_token(token: str) -> tuple[int, str, str] | None:
    """(recipient id, channel, signature) of a well-formed token; the caller checks it."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in ("email", "sms"):
        return None
    return int(parts[0]), parts[1], parts[2]


def confirm_matches(
    key: bytes, *, recipient_id: int, channel: str, address: str, signature: str
) -> bool:
    expected = confirm_token(key, recipient_id=recipient_id, channel=channel, address=address)
    return hmac.compare_digest(expected.rsplit(".", 1)[1], signature)


def unsubscribe_token(key: bytes, *, recipient_id: int, subscriber_id: int, event: str) -> str:
    """One click, no sign-in: the link itself proves it came in a mail of ours."""
    signature = _sign(key, f"unsubscribe|{recipient_id}|{subscriber_id}|{event}")
    return f"{recipient_id}.{subscriber_id}.{event}.{signature}"


def read_unsubscribe_token(key: bytes, token: str) -> tuple[int, int, str] | None:
    """(recipient id, subscriber id or 0, event or ``all``) when the signature holds."""
    parts = token.split(".")
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    if parts[2] not in (*EVENTS, ALL):
        return None
    recipient_id, subscriber_id, event = int(parts[0]), int(parts[1]), parts[2]
    expected = unsubscribe_token(
        key, recipient_id=recipient_id, subscriber_id=subscriber_id, event=event
    )
    if not hmac.compare_digest(expected, token):
        return None
    return recipient_id, subscriber_id, event
