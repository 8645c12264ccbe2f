"""Every query of authorisations, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import Connection, bindparam, exists, insert, select, update

from waterbill.access.tables import authorisations
from waterbill.db.async_pool import psycopg_sql


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    subscriber_code: str
    grantee_fin: str
    granted_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# An active grant from the account's current holder: a former holder's grants lapse.
_IS_AUTHORISED = select(
    exists().where(
        authorisations.c.subscriber_code == bindparam("code"),
        authorisations.c.grantee_fin == bindparam("grantee_fin"),
        authorisations.c.holder_fin == bindparam("holder_fin"),
        authorisations.c.revoked_at.is_(None),
    )
)
# The same query for psycopg's async API (waterbill.access.async_views).
_IS_AUTHORISED_SQL = psycopg_sql(_IS_AUTHORISED)


def is_authorised(db: Connection, *, code: str, holder_fin: str, grantee_fin: str) -> bool:
    """An active grant from the account's current holder: a former holder's grants lapse."""
    values = {"code": code, "holder_fin": holder_fin, "grantee_fin": grantee_fin}
    return bool(db.scalar(_IS_AUTHORISED, values))


async def is_authorised_async(
    db: AsyncConnection[Any], *, code: str, holder_fin: str, grantee_fin: str
) -> bool:
    """``is_authorised`` on an async psycopg connection."""
    values = {"code": code, "holder_fin": holder_fin, "grantee_fin": grantee_fin}
    cursor = await db.execute(_IS_AUTHORISED_SQL.text, _IS_AUTHORISED_SQL.parameters(values))
    row = await cursor.fetchone()
    return bool(row and row[0])


def grants_for(db: Connection, *, code: str, holder_fin: str) -> list[Grant]:
    query = (
        select(
            authorisations.c.id,
            authorisations.c.subscriber_code,
            authorisations.c.grantee_fin,
            authorisations.c.granted_at,
            authorisations.c.revoked_at,
        )
        .where(
            authorisations.c.subscriber_code == code,
            authorisations.c.holder_fin == holder_fin,
        )
        .order_by(authorisations.c.granted_at.desc(), authorisations.c.id.desc())
    )
    return [Grant(**row._mapping) for row in db.execute(query)]


def add_grant(
    db: Connection, *, code: str, holder_fin: str, grantee_fin: str, now: datetime
) -> None:
    db.execute(
        insert(authorisations).values(
            subscriber_code=code, holder_fin=holder_fin, grantee_fin=grantee_fin, granted_at=now
        )
    )


def revoke_grants(
    db: Connection, *, code: str, holder_fin: str, grantee_fin: str, now: datetime
) -> int:
    result = db.execute(
        update(authorisations)
        .where(
            authorisations.c.subscriber_code == code,
            authorisations.c.holder_fin == holder_fin,
            authorisations.c.grantee_fin == grantee_fin,
            authorisations.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount
