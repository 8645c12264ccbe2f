"""Who may dispute a month of an account, and who answers: the one place each is decided."""

from __future__ import annotations

from sqlalchemy import Connection

from waterbill.access import repository as grants
from waterbill.access.policy import is_admin
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.statement.domain import Subscriber


def may_dispute(db: Connection, *, citizen: Citizen, subscriber: Subscriber) -> bool:
    """The holder of the account, or a citizen the current holder authorised for this code."""
    if citizen.fin == subscriber.holder_fin:
        return True
    return grants.is_authorised(
        db, code=subscriber.code, holder_fin=subscriber.holder_fin, grantee_fin=citizen.fin
    )


def is_staff(citizen: Citizen, settings: Settings) -> bool:
    """Requests are answered by the admin role (the ICT department, regulation 3.5)."""
    return is_admin(citizen, settings)
