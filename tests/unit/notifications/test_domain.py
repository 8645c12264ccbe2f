"""The rules of notifications: signed links, retries, Message-IDs and phone numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from waterbill.notifications.domain import (
    backoff,
    confirm_matches,
    confirm_token,
    message_id,
    normalise_phone,
    read_confirm_token,
    read_unsubscribe_token,
    unsubscribe_token,
)

KEY = b"unit-test-key"


def test_a_confirmation_link_confirms_only_the_address_it_was_sent_to() -> None:
    token = confirm_token(KEY, recipient_id=7, channel="email", address="Q@Example.az")
    parsed = read_confirm_token(token)
    assert parsed is not None
    recipient_id, channel, signature = parsed
    assert (recipient_id, channel) == (7, "email")
    assert confirm_matches(
        KEY, recipient_id=7, channel="email", address="q@example.az", signature=signature
    )
    assert not confirm_matches(
        KEY, recipient_id=7, channel="email", address="other@example.az", signature=signature
    )
    assert not confirm_matches(
        b"another key", recipient_id=7, channel="email", address="q@example.az", signature=signature
    )
    assert read_confirm_token("7.fax.abc") is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("7.", "8.", 1),
        lambda t: t.replace("bill_issued", "all"),
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t + ".x",
        lambda t: "",
    ],
)
def test_an_unsubscribe_link_that_was_changed_in_any_way_is_refused(tamper: object) -> None:
    token = unsubscribe_token(KEY, recipient_id=7, subscriber_id=42, event="bill_issued")
    assert read_unsubscribe_token(KEY, token) == (7, 42, "bill_issued")
    assert read_unsubscribe_token(KEY, tamper(token)) is None  # type: ignore[operator]


def test_the_wait_between_tries_doubles_and_stops_at_an_hour() -> None:
    waits = [backoff(attempt, base_seconds=30) for attempt in (1, 2, 3, 4, 20)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[4] == timedelta(hours=1)


def test_every_try_of_one_event_to_one_recipient_carries_the_same_message_id() -> None:
    first = message_id("bill_issued:5:2026-10", 7, "email", "azersu.az")
    assert first == message_id("bill_issued:5:2026-10", 7, "email", "azersu.az")
    assert first != message_id("bill_issued:5:2026-10", 8, "email", "azersu.az")
    assert first.startswith("<")
    assert first.endswith("@azersu.az>")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+994 50 123-45-67", "+994501234567"),
        ("+994(12)4314767", "+994124314767"),
        ("050 123 45 67", None),
        ("+0123", None),
        ("+99450abc4567", None),
    ],
)
def test_a_phone_number_is_kept_in_e164_or_refused(typed: str, stored: str | None) -> None:
    assert normalise_phone(typed) == stored
