"""What the routes ask of the service layer: one function per need, shared by pages and API.

The statement itself goes through ``waterbill.access.service.view_statement``: policy and audit.
"""

from __future__ import annotations

from sqlalchemy import Connection

from waterbill.auth.identity import Citizen
from waterbill.statement import repository


def accounts_of(*, db: Connection, citizen: Citizen) -> list[str]:
    """The subscriber codes the citizen holds."""
    return repository.codes_held_by(db, citizen.fin)
