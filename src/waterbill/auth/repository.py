"""Every query on sessions, in one place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, delete, insert, or_, select, update

from waterbill.auth.tables import web_sessions


def insert_session(
    db: Connection,
    *,
    id_hash: str,
    csrf_token: str,
    citizen: str | None,
    pending_login: str | None,
    now: datetime,
    id_token: str | None = None,
) -> None:
    db.execute(
        insert(web_sessions).values(
            id_hash=id_hash,
            csrf_token=csrf_token,
            citizen=citizen,
            pending_login=pending_login,
            id_token=id_token,
            created_at=now,
            last_seen_at=now,
        )
    )


def find_session(db: Connection, id_hash: str) -> Row[tuple[object, ...]] | None:
    return db.execute(select(web_sessions).where(web_sessions.c.id_hash == id_hash)).one_or_none()


def touch_session(db: Connection, id_hash: str, now: datetime) -> None:
    db.execute(
        update(web_sessions).where(web_sessions.c.id_hash == id_hash).values(last_seen_at=now)
    )


def delete_session(db: Connection, id_hash: str) -> None:
    db.execute(delete(web_sessions).where(web_sessions.c.id_hash == id_hash))


def delete_expired_sessions(
    db: Connection, *, idle_before: datetime, created_before: datetime
) -> None:
    db.execute(
        delete(web_sessions).where(
            or_(
                web_sessions.c.last_seen_at < idle_before,
                web_sessions.c.created_at < created_before,
            )
        )
    )
