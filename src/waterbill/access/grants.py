"""Granting and revoking: the holder lets another citizen see the full statement of a code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from waterbill import clock
from waterbill.access import repository
from waterbill.access.policy import pseudonym_of
from waterbill.access.repository import Grant
from waterbill.audit.events import record_citizen_event, refusals_recorded
from waterbill.audit.tags import Channel, EventTag
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.errors import MalformedFin
from waterbill.identifiers import parse_code, parse_fin
from waterbill.statement import repository as statements
from waterbill.statement.domain import Subscriber


def holders_subscriber(
    db: Connection, *, holder: Citizen, code: str, settings: Settings
) -> Subscriber:
    """The holder's own account of ``code``; anything else is refused ``forbidden``."""
    code = parse_code(code, settings.code_length_range)
    found = statements.find_subscriber(db, code)
    # No such code is refused as a code of someone else: what the holder alone may do tells
    # nobody else whether a code exists (issue 22).
    if found is None or found[1].holder_fin != holder.fin:
        raise Forbidden(code=code, reason="not_holder")
    return found[1]


def authorisations_of(*, database: Database, holder: Citizen, code: str) -> list[Grant]:
    """The grants the holder made on one code, the revoked ones included (newest first)."""
    # On the primary: the page right after a grant or a revocation must show it.
    with database.read(primary=True) as db:
        subscriber = holders_subscriber(db, holder=holder, code=code, settings=database.settings)
        return repository.grants_for(db, code=subscriber.code, holder_fin=holder.fin)


def _change_grant(
    *,
    database: Database,
    holder: Citizen,
    code: str,
    grantee_fin: str,
    channel: Channel,
    grant: bool,
) -> list[Grant]:
    settings = database.settings
    now = clock.now()
    with refusals_recorded(
        database.write(),
        tag=EventTag.AUTHORISATION_REFUSED,
        viewer=holder,
        channel=channel,
        details={"action": "grant" if grant else "revoke"},
    ) as db:
        subscriber = holders_subscriber(db, holder=holder, code=code, settings=settings)
        try:
            grantee = parse_fin(grantee_fin)
        except ValueError:
            raise MalformedFin(reason="shape") from None
        if grantee == holder.fin:
            raise MalformedFin(reason="own_fin")
        changed = _apply(db, subscriber=subscriber, grantee=grantee, grant=grant, now=now)
        if changed:
            record_citizen_event(
                db,
                tag=EventTag.AUTHORISATION_GRANTED if grant else EventTag.AUTHORISATION_REVOKED,
                viewer=holder,
                channel=channel,
                code=subscriber.code,
                details={"grantee": pseudonym_of(grantee, settings)},
            )
        return repository.grants_for(db, code=subscriber.code, holder_fin=holder.fin)


def _apply(
    db: Connection, *, subscriber: Subscriber, grantee: str, grant: bool, now: datetime
) -> bool:
    """Grant or revoke; True when something changed (granting twice is one grant)."""
    key = {"code": subscriber.code, "holder_fin": subscriber.holder_fin, "grantee_fin": grantee}
    if grant:
        if repository.is_authorised(db, **key):
            return False
        repository.add_grant(db, now=now, **key)
        return True
    return repository.revoke_grants(db, now=now, **key) > 0


def grant_authorisation(
    *, database: Database, holder: Citizen, code: str, grantee_fin: str, channel: Channel
) -> list[Grant]:
    """Let ``grantee_fin`` see the full statement of the holder's ``code``; logged."""
    return _change_grant(
        database=database,
        holder=holder,
        code=code,
        grantee_fin=grantee_fin,
        channel=channel,
        grant=True,
    )


def revoke_authorisation(
    *, database: Database, holder: Citizen, code: str, grantee_fin: str, channel: Channel
) -> list[Grant]:
    """Withdraw every active grant of ``code`` to ``grantee_fin``; logged."""
    return _change_grant(
        database=database,
        holder=holder,
        code=code,
        grantee_fin=grantee_fin,
        channel=channel,
        grant=False,
    )


def my_authorisations(*, database: Database, holder: Citizen) -> dict[str, list[Grant]]:
    """The grants on every code the citizen holds, the revoked ones included (newest first)."""
    # On the primary: the page right after a grant or a revocation must show it.
    with database.read(primary=True) as db:
        return {
            code: repository.grants_for(db, code=code, holder_fin=holder.fin)
            for code in statements.codes_held_by(db, holder.fin)
        }
