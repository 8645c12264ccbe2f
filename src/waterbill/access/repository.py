"""Every query of authorisations, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, exists, insert, select, update

from waterbill.access.tables import authorisations


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


def is_authorised(db: Connection, *, code: str, holder_fin: str, grantee_fin: str) -> bool:
    """An active grant from the account's current holder: a former holder's grants lapse."""
    query = select(
        exists().where(
            authorisations.c.subscriber_code == code,
            authorisations.c.grantee_fin == grantee_fin,
            authorisations.c.holder_fin == holder_fin,
            authorisations.c.revoked_at.is_(None),
        )
    )
    return bool(db.scalar(query))


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
