"""The dispute's rules as pure functions: statuses and their order, reasons, input checks.

No framework and no database here: the service calls these before it touches the store.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from waterbill.billing.domain import SERVICES
from waterbill.calendar import Window, YearMonth
from waterbill.disputes.errors import (
    DisputeStatusConflict,
    MalformedPeriod,
    PeriodOutsideStatement,
    ServiceNotProvided,
    TextNotPrintable,
    TextRequired,
    TextTooLong,
    UnknownReason,
    UnknownService,
)

Status = Literal["received", "under_review", "answered", "closed"]
STATUSES: tuple[Status, ...] = ("received", "under_review", "answered", "closed")
# Only "closed" ends a request: until then a second one on the same month and service is refused.
OPEN_STATUSES: tuple[Status, ...] = ("received", "under_review", "answered")

# Which change staff may make from each status; "received" is set only by filing.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    "received": frozenset({"under_review", "answered", "closed"}),
    "under_review": frozenset({"answered", "closed"}),
    "answered": frozenset({"closed"}),
    "closed": frozenset(),
}

Reason = Literal[
    "meter_reading_wrong",
    "norm_applied_with_meter",
    "payment_not_shown",
    "recalculation_unclear",
    "other",
]
REASONS: tuple[Reason, ...] = (
    "meter_reading_wrong",
    "norm_applied_with_meter",
    "payment_not_shown",
    "recalculation_unclear",
    "other",
)
ActorKind = Literal["citizen", "staff"]
ACTOR_KINDS: tuple[ActorKind, ...] = ("citizen", "staff")

# Enough for a careful explanation, small enough that nobody pastes a document into it.
TEXT_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 4000
REFERENCE_PREFIX = "AZS"
# What a stored meter photo may be, and the file extension it is served under.
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
PHOTO_MEDIA_TYPES: tuple[str, ...] = tuple(PHOTO_EXTENSIONS)
REFERENCE_PATTERN = r"^AZS-(\d{4})-(\d{6,})$"
_REFERENCE = re.compile(REFERENCE_PATTERN)
# Tabs and line breaks are text; every other control or format character is refused.
_ALLOWED_CONTROLS = frozenset("\n\t")


def format_reference(year: int, number: int) -> str:
    """``AZS-2026-000123``: the year of filing and a number counted from 1 in each year."""
    return f"{REFERENCE_PREFIX}-{year:04d}-{number:06d}"


def is_reference(text: str) -> bool:
    return _REFERENCE.match(text) is not None


def parse_period(raw: str, *, window: Window) -> YearMonth:
    """A ``YYYY-MM`` month among the 12 the statement shows on the day of filing."""
    try:
        period = YearMonth.parse((raw or "").strip())
    except ValueError:
        raise MalformedPeriod(value=raw) from None
    if period not in window.months:
        raise PeriodOutsideStatement(first=str(window.first), last=str(window.last))
    return period


def parse_service(raw: str, *, provided: tuple[str, ...]) -> str:
    service = (raw or "").strip()
    if service not in SERVICES:
        raise UnknownService(value=raw)
    if service not in provided:
        raise ServiceNotProvided(service=service)
    return service


def parse_reason(raw: str) -> Reason:
    reason = (raw or "").strip()
    for known in REASONS:
        if reason == known:
            return known
    raise UnknownReason(value=raw)


def clean_text(raw: str | None, *, required: bool, max_length: int, what: str = "request") -> str:
    """Free text in NFC with Unix line breaks, trimmed; refused when empty-but-required.

    ``what`` ("request" or "answer") picks the wording of the refusal.
    """
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = text.strip()
    if required and not text:
        raise TextRequired(reason=what)
    if len(text) > max_length:
        raise TextTooLong(max_length=max_length, length=len(text))
    if any(
        unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co"} and char not in _ALLOWED_CONTROLS
        for char in text
    ):
        raise TextNotPrintable()
    return text


def check_transition(current: Status, wanted: Status) -> None:
    if wanted not in TRANSITIONS[current]:
        raise DisputeStatusConflict(current=current, wanted=wanted)


@dataclass(frozen=True, slots=True)
class DisputeEvent:
    from_status: Status | None
    to_status: Status
    actor_kind: ActorKind
    actor: str
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Dispute:
    reference: str
    code: str
    period: YearMonth
    service: str
    reason: Reason
    text: str
    has_photo: bool
    status: Status
    filed_by: str
    answer: str | None
    answered_by: str | None
    filed_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Photo:
    """A meter photo as the service keeps it: cleaned on filing, served byte for byte."""

    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return PHOTO_EXTENSIONS[self.media_type]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class DisputeWithHistory:
    dispute: Dispute
    history: tuple[DisputeEvent, ...]


@dataclass(frozen=True, slots=True)
class StaffFilter:
    status: Status | None = None
    code: str | None = None
    period: YearMonth | None = None
    limit: int = 50
    offset: int = 0
