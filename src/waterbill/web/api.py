"""The JSON API under ``/api/v1``: the same service functions as the pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from waterbill.access.service import view_statement
from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.errors import AuditUnavailable, MalformedCode, NotHousehold, UnknownCode
from waterbill.statement.schemas import StatementOut
from waterbill.statement.service import accounts_of
from waterbill.web.deps import CodeLookupLimited, CurrentCitizen, DatabaseDep, DbRead, Locale
from waterbill.web.errors import errors_of


class AccountOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str


class AccountsOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    accounts: list[AccountOut]


_AUTH_ERRORS = errors_of(Unauthenticated)
# Forbidden: not the holder, under WATERBILL_ACCESS_POLICY=holder-only.
_STATEMENT_ERRORS = errors_of(
    Unauthenticated, NotHousehold, Forbidden, UnknownCode, MalformedCode, AuditUnavailable
)

router = APIRouter(prefix="/api/v1", tags=["citizen"])


@router.get("/me/accounts", response_model=AccountsOut, responses=_AUTH_ERRORS)
def my_accounts(citizen: CurrentCitizen, db: DbRead, locale: Locale) -> AccountsOut:
    """The subscriber codes the signed-in citizen holds."""
    codes = accounts_of(db=db, citizen=citizen)
    return AccountsOut(accounts=[AccountOut(code=code) for code in codes])


@router.get(
    "/statements/{code}",
    response_model=StatementOut,
    responses=_STATEMENT_ERRORS,
    dependencies=[CodeLookupLimited],
)
def statement(
    code: str, citizen: CurrentCitizen, database: DatabaseDep, locale: Locale
) -> Response:
    """The statement of the last 12 months for a subscriber code (masked for non-holders)."""
    result = view_statement(database=database, viewer=citizen, code=code, channel="api")
    # Serialised here, once: the model is built from the domain, so FastAPI's validation of the
    # returned value against response_model (which still describes it in OpenAPI) would only
    # repeat the work.
    body = StatementOut.from_statement(result).model_dump_json()
    return Response(body, media_type="application/json")
