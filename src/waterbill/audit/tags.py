"""Every kind of audit event, in one place: ``area:action[:outcome]``, stable once written."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Channel = Literal["web", "api", "cli"]
Result = Literal["full", "masked", "refused"]


class EventTag(StrEnum):
    STATEMENT_VIEW = "statement:view"
    ACCESS_REFUSED = "access:refused"

    AUTH_LOGIN_SUCCESS = "auth:login:success"
    AUTH_LOGIN_FAILURE = "auth:login:failure"
    AUTH_LOGOUT = "auth:logout"

    AUTHORISATION_GRANTED = "authorisation:granted"
    AUTHORISATION_REVOKED = "authorisation:revoked"
    AUTHORISATION_REFUSED = "authorisation:refused"

    IMPORT_FILE = "import:file"

    DISPUTE_FILED = "dispute:filed"
    DISPUTE_REFUSED = "dispute:refused"
    DISPUTE_UNDER_REVIEW = "dispute:under_review"
    DISPUTE_ANSWERED = "dispute:answered"
    DISPUTE_CLOSED = "dispute:closed"

    READING_SUBMITTED = "reading:submitted"
    READING_REFUSED = "reading:refused"
    READINGS_EXPORTED = "reading:exported"
    METER_REPLACED = "reading:meter_replaced"
    ADMIN_READINGS_VIEW = "admin:readings:view"
    CERTIFICATE_ISSUED = "certificate:issued"
    CERTIFICATE_REFUSED = "certificate:refused"
    CERTIFICATE_DOWNLOADED = "certificate:downloaded"
    NOTIFICATIONS_UPDATED = "notifications:updated"
    NOTIFICATIONS_CONFIRMED = "notifications:confirmed"
    NOTIFICATIONS_UNSUBSCRIBED = "notifications:unsubscribed"

    ADMIN_AUDIT_QUERY = "admin:audit:query"
    ADMIN_AUDIT_VERIFY = "admin:audit:verify"
    ADMIN_AUDIT_PRUNE = "admin:audit:prune"
    ADMIN_ACCOUNT_VIEWS = "admin:account:views"
    # Staff read the feedback's comments, which may hold what a citizen wrote about themselves.
    ADMIN_FEEDBACK_READ = "admin:feedback:read"


# The events a holder sees under "who viewed my account".
VIEW_TAGS: tuple[EventTag, ...] = (
    EventTag.STATEMENT_VIEW,
    EventTag.ACCESS_REFUSED,
    EventTag.CERTIFICATE_ISSUED,
    EventTag.CERTIFICATE_REFUSED,
    EventTag.CERTIFICATE_DOWNLOADED,
)
