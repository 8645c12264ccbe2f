"""The JSON API under ``/api/v1``: the same service functions as the pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from waterbill.access.views import view_statement
from waterbill.statement.schemas import StatementOut
from waterbill.statement.service import accounts_of
from waterbill.web.deps import CodeLookupLimited, CurrentCitizen, DatabaseDep, Locale


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every refusal of the API: a stable code and a message in the language asked for."""

    error: ErrorBody


class AccountOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str


class AccountsOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    accounts: list[AccountOut]


_AUTH_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "No session and no valid bearer token"},
}
_STATEMENT_ERRORS: dict[int | str, dict[str, object]] = {
    **_AUTH_ERRORS,
    403: {
        "model": ErrorOut,
        "description": "not_household: not a household subscriber; forbidden: not the holder "
        "(WATERBILL_ACCESS_POLICY=holder-only)",
    },
    503: {"model": ErrorOut, "description": "audit_unavailable: the view could not be logged"},
    404: {"model": ErrorOut, "description": "unknown_code: no subscriber has this code"},
    422: {"model": ErrorOut, "description": "malformed_code: not a subscriber code"},
}

router = APIRouter(prefix="/api/v1", tags=["citizen"])


@router.get("/me/accounts", response_model=AccountsOut, responses=_AUTH_ERRORS)
def my_accounts(citizen: CurrentCitizen, database: DatabaseDep, locale: Locale) -> AccountsOut:
    """The subscriber codes the signed-in citizen holds."""
    codes = accounts_of(database=database, citizen=citizen)
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
