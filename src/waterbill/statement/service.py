"""``get_statement``: the one entry point that pages, the API and the CLI all call."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection

from waterbill import clock
from waterbill.auth.identity import Citizen
from waterbill.calendar import Window, baku_date
from waterbill.errors import NotHousehold, UnknownCode
from waterbill.identifiers import DEFAULT_CODE_LENGTH, CodeLength, parse_code
from waterbill.statement import repository
from waterbill.statement.domain import Statement, build_statement


def as_of_date(as_of: date | datetime | None) -> date:
    """A Baku calendar date: ``now`` when not given; an aware instant is read in Baku time."""
    if as_of is None:
        return clock.today()
    if isinstance(as_of, datetime):
        return baku_date(as_of)
    return as_of


def get_statement(
    *,
    db: Connection,
    code: str,
    as_of: date | datetime | None = None,
    code_length: CodeLength = DEFAULT_CODE_LENGTH,
) -> Statement:
    """The statement of ``code`` for the 12 Baku months ending with ``as_of`` (default: now).

    Raises MalformedCode, UnknownCode or NotHousehold; each carries a stable error code.
    """
    code = parse_code(code, code_length)
    history = repository.load_history(db, code=code, window=Window.ending(as_of_date(as_of)))
    if history is None:
        raise UnknownCode(code=code)
    if not history.subscriber.is_household:
        raise NotHousehold(code=code)
    return build_statement(history)


def accounts_of(*, db: Connection, citizen: Citizen) -> list[str]:
    """The subscriber codes the citizen holds."""
    return repository.codes_held_by(db, citizen.fin)
