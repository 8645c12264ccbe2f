"""The web sign-in and sign-out as use cases, each one unit of work: what the pages call.

The provider's side (redirects, tokens) stays in ``oidc.py``; this is what is stored and logged.
"""

from __future__ import annotations

from waterbill.audit.events import record_citizen_event
from waterbill.audit.tags import EventTag
from waterbill.auth.identity import Citizen
from waterbill.auth.oidc import PendingLogin
from waterbill.auth.sessions import WebSession, end_session, load_session, start_session
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.performance.service import start_journey


def current_session(*, database: Database, settings: Settings, raw_id: str) -> WebSession | None:
    """The live session of this cookie value, or None; an expired one is deleted, a live one
    touched, hence on the primary. Each of those is one statement: on every request, no
    transaction around them (``write_each``)."""
    with database.write_each() as db:
        return load_session(db=db, settings=settings, raw_id=raw_id)


def begin_sign_in(*, database: Database, settings: Settings, pending: PendingLogin) -> str:
    """A pre-sign-in session holding the state, nonce and verifier; returns its raw id."""
    with database.write() as db:
        raw_id, _ = start_session(db=db, settings=settings, pending_login=pending)
    return raw_id


def spend_sign_in(*, database: Database, session: WebSession) -> None:
    """The pre-sign-in session is ended, whatever the provider answered: its state and nonce are
    spent."""
    with database.write() as db:
        end_session(db=db, session=session)


def refuse_sign_in(*, database: Database, reason: str) -> None:
    """A refused sign-in: nobody is identified yet, so only the reason is kept."""
    with database.write() as db:
        record_citizen_event(
            db,
            tag=EventTag.AUTH_LOGIN_FAILURE,
            viewer=None,
            channel="web",
            result="refused",
            reason=reason[:40] or None,
        )


def finish_sign_in(
    *, database: Database, settings: Settings, citizen: Citizen, id_token: str | None
) -> str:
    """The signed-in session, logged, and the start of the citizen's journey; returns its raw id."""
    with database.write() as db:
        raw_id, started = start_session(
            db=db, settings=settings, citizen=citizen, id_token=id_token
        )
        record_citizen_event(db, tag=EventTag.AUTH_LOGIN_SUCCESS, viewer=citizen, channel="web")
        start_journey(db=db, session_hash=started.id_hash)
    return raw_id


def sign_out(*, database: Database, session: WebSession) -> None:
    """The session ends; a signed-in citizen's sign-out is logged."""
    with database.write() as db:
        end_session(db=db, session=session)
        if session.citizen is not None:
            record_citizen_event(
                db, tag=EventTag.AUTH_LOGOUT, viewer=session.citizen, channel="web"
            )
