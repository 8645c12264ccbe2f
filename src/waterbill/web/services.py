"""What the routes ask of the service layer: one function per need, shared by pages and API.

The access policy and the audit trail wrap these later, in one place, for pages and API alike.
"""

from __future__ import annotations

from sqlalchemy import Connection

from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.statement import repository
from waterbill.statement.domain import Statement
from waterbill.statement.service import get_statement


def statement_for(*, db: Connection, citizen: Citizen, code: str, settings: Settings) -> Statement:
    """The statement of ``code`` as ``citizen`` may see it."""
    return get_statement(db=db, code=code, code_length=settings.code_length_range)


def accounts_of(*, db: Connection, citizen: Citizen) -> list[str]:
    """The subscriber codes the citizen holds."""
    return repository.codes_held_by(db, citizen.fin)
