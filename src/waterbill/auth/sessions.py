"""Server-side sessions: the cookie holds only a random id; the database holds the rest.

The id has 256 bits from ``secrets``; the table keeps its SHA-256, so a leaked table opens no
session. A session ends after ``session_idle_minutes`` without a request or
``session_absolute_hours`` after it began, whichever comes first; sign-in always starts a new one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from waterbill import clock
from waterbill.auth import repository
from waterbill.auth.identity import Citizen
from waterbill.auth.oidc import PendingLogin
from waterbill.config import Settings

# Touching last_seen_at on every request would turn every read into a write.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class WebSession:
    id_hash: str
    csrf_token: str
    citizen: Citizen | None
    pending_login: PendingLogin | None
    # The provider's ID token of the sign-in: the id_token_hint of the provider's sign-out.
    id_token: str | None = None


def hash_session_id(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def start_session(
    *,
    db: Connection,
    settings: Settings,
    citizen: Citizen | None = None,
    pending_login: PendingLogin | None = None,
    id_token: str | None = None,
) -> tuple[str, WebSession]:
    """A new session; returns the raw id for the cookie (never stored) and the session."""
    now = clock.now()
    repository.delete_expired_sessions(
        db,
        idle_before=now - timedelta(minutes=settings.session_idle_minutes),
        created_before=now - timedelta(hours=settings.session_absolute_hours),
    )
    raw_id = secrets.token_urlsafe(32)
    session = WebSession(
        id_hash=hash_session_id(raw_id),
        csrf_token=secrets.token_urlsafe(32),
        citizen=citizen,
        pending_login=pending_login,
        id_token=id_token,
    )
    repository.insert_session(
        db,
        id_hash=session.id_hash,
        csrf_token=session.csrf_token,
        citizen=json.dumps(dataclasses.asdict(citizen)) if citizen else None,
        pending_login=json.dumps(pending_login.as_dict()) if pending_login else None,
        id_token=id_token,
        now=now,
    )
    return raw_id, session


def load_session(*, db: Connection, settings: Settings, raw_id: str | None) -> WebSession | None:
    """The live session of this cookie value, or None (an expired one is deleted)."""
    if not raw_id or len(raw_id) > 128:
        return None
    id_hash = hash_session_id(raw_id)
    row = repository.find_session(db, id_hash)
    if row is None:
        return None
    now = clock.now()
    last_seen: datetime = row.last_seen_at
    created: datetime = row.created_at
    if now - last_seen > timedelta(minutes=settings.session_idle_minutes) or now - created > (
        timedelta(hours=settings.session_absolute_hours)
    ):
        repository.delete_session(db, id_hash)
        return None
    if now - last_seen > TOUCH_INTERVAL:
        repository.touch_session(db, id_hash, now)
    citizen_json: str | None = row.citizen
    pending_json: str | None = row.pending_login
    return WebSession(
        id_hash=id_hash,
        csrf_token=row.csrf_token,
        citizen=Citizen(**json.loads(citizen_json)) if citizen_json else None,
        pending_login=PendingLogin.from_dict(json.loads(pending_json)) if pending_json else None,
        id_token=row.id_token,
    )


def end_session(*, db: Connection, session: WebSession) -> None:
    repository.delete_session(db, session.id_hash)


def csrf_matches(session: WebSession | None, token: str | None) -> bool:
    return (
        session is not None
        and token is not None
        and secrets.compare_digest(session.csrf_token.encode(), token.encode())
    )
