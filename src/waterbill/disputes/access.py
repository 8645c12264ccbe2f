"""Who may dispute a month of an account, and who answers: the one place each is decided."""

from __future__ import annotations

from sqlalchemy import Connection

from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.statement.domain import Subscriber


def may_dispute(db: Connection, *, citizen: Citizen, subscriber: Subscriber) -> bool:
    """The holder of the account may; so will a citizen the holder authorised for this code."""
    return citizen.fin == subscriber.holder_fin


def is_staff(citizen: Citizen, settings: Settings) -> bool:
    """Requests are answered by the admin role (the ICT department, regulation 3.5)."""
    return citizen.fin in settings.admin_fins
