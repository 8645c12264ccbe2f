"""The holder's access log through the API: who viewed my accounts, and whom I authorised."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from waterbill.access.grants import my_authorisations
from waterbill.access.oversight import my_account_views
from waterbill.auth.errors import Unauthenticated
from waterbill.web.deps import CurrentCitizen, DatabaseDep, Locale
from waterbill.web.errors import errors_of

router = APIRouter(prefix="/api/v1", tags=["citizen"])


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ViewerOut(_Out):
    kind: Literal["you", "authorised", "admin", "other", "anonymous"]
    label: str | None


class ViewOut(_Out):
    occurred_at: datetime
    viewer: ViewerOut
    channel: Literal["web", "api", "cli"]
    result: Literal["full", "masked", "refused"]


class AccountViewsOut(_Out):
    code: str
    views: list[ViewOut]


class MyViewsOut(_Out):
    accounts: list[AccountViewsOut]


class GrantOut(_Out):
    fin: str
    granted_at: datetime
    revoked_at: datetime | None
    active: bool


class AccountGrantsOut(_Out):
    code: str
    authorisations: list[GrantOut]


class MyAuthorisationsOut(_Out):
    accounts: list[AccountGrantsOut]


_AUTH_ERRORS = errors_of(Unauthenticated)


@router.get("/me/views", response_model=MyViewsOut, responses=_AUTH_ERRORS)
def my_views(citizen: CurrentCitizen, database: DatabaseDep, locale: Locale) -> MyViewsOut:
    """Who viewed the signed-in citizen's accounts, newest first; viewers are masked."""
    views = my_account_views(database=database, holder=citizen, channel="api")
    return MyViewsOut(
        accounts=[
            AccountViewsOut(
                code=code,
                views=[
                    ViewOut(
                        occurred_at=view.occurred_at,
                        viewer=ViewerOut(kind=view.viewer.kind, label=view.viewer.label),
                        channel=view.channel,
                        result=view.result,
                    )
                    for view in account
                ],
            )
            for code, account in views.items()
        ]
    )


@router.get("/me/authorisations", response_model=MyAuthorisationsOut, responses=_AUTH_ERRORS)
def my_grants(
    citizen: CurrentCitizen, database: DatabaseDep, locale: Locale
) -> MyAuthorisationsOut:
    """Whom the signed-in citizen authorised to see each of their accounts in full."""
    grants = my_authorisations(database=database, holder=citizen)
    return MyAuthorisationsOut(
        accounts=[
            AccountGrantsOut(
                code=code,
                authorisations=[
                    GrantOut(
                        fin=grant.grantee_fin,
                        granted_at=grant.granted_at,
                        revoked_at=grant.revoked_at,
                        active=grant.active,
                    )
                    for grant in account
                ],
            )
            for code, account in grants.items()
        ]
    )
