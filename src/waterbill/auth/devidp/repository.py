"""The development provider's queries: one-time codes, and citizens to offer at sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from waterbill.auth.tables import dev_idp_codes
from waterbill.billing.tables import subscribers


def insert_code(db: Connection, *, code_hash: str, grant: str, expires_at: datetime) -> None:
    db.execute(
        insert(dev_idp_codes).values(code_hash=code_hash, grant=grant, expires_at=expires_at)
    )


def redeem_code(db: Connection, *, code_hash: str, now: datetime) -> str | None:
    """Marks the code used and returns its grant, once; a second or late redemption gets None."""
    used = db.execute(
        update(dev_idp_codes)
        .where(
            dev_idp_codes.c.code_hash == code_hash,
            dev_idp_codes.c.used_at.is_(None),
            dev_idp_codes.c.expires_at > now,
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        return None
    grant: str = db.execute(
        select(dev_idp_codes.c.grant).where(dev_idp_codes.c.code_hash == code_hash)
    ).scalar_one()
    return grant


def demo_citizens(db: Connection, *, limit: int = 6) -> list[tuple[str, str, str, str]]:
    """A handful of account holders: (fin, surname, name, patronymic)."""
    rows = db.execute(
        select(
            subscribers.c.holder_fin,
            subscribers.c.surname,
            subscribers.c.name,
            subscribers.c.patronymic,
        )
        .where(subscribers.c.category == "population", subscribers.c.status == "active")
        .order_by(subscribers.c.id)
        .limit(limit * 4)
    ).all()
    seen: dict[str, tuple[str, str, str, str]] = {}
    for row in rows:
        seen.setdefault(row.holder_fin, (row.holder_fin, row.surname, row.name, row.patronymic))
    return list(seen.values())[:limit]


def holder_name(db: Connection, fin: str) -> tuple[str, str, str] | None:
    row = db.execute(
        select(subscribers.c.surname, subscribers.c.name, subscribers.c.patronymic)
        .where(subscribers.c.holder_fin == fin)
        .order_by(subscribers.c.id)
        .limit(1)
    ).one_or_none()
    return (row.surname, row.name, row.patronymic) if row else None
