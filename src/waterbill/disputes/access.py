"""Who may dispute a month of an account: the one place this is decided."""

from __future__ import annotations

from sqlalchemy import Connection

from waterbill.auth.identity import Citizen
from waterbill.statement.domain import Subscriber


def may_dispute(db: Connection, *, citizen: Citizen, subscriber: Subscriber) -> bool:
    """The holder of the account may; so will a citizen the holder authorised for this code."""
    return citizen.fin == subscriber.holder_fin
