"""Who looked at an account: the holder's "who viewed my account", and the ICT department's
oversight of the access log (regulation 3.5)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from waterbill.access import repository
from waterbill.access.grants import holders_subscriber
from waterbill.access.policy import ViewerKind, is_admin, mask_fin, pseudonym_of
from waterbill.audit import service as audit
from waterbill.audit.chain import EventRow
from waterbill.audit.events import record_citizen_event, refusals_recorded
from waterbill.audit.repository import EventFilter, recent_events
from waterbill.audit.tags import VIEW_TAGS, Channel, EventTag
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.db.database import Database
from waterbill.statement.service import accounts_of

# The holder's side --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    """A viewer as the holder may see them: what they are to the account and, at most, a mask."""

    kind: ViewerKind
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AccountView:
    occurred_at: datetime
    viewer: Viewer
    channel: str
    result: str
    reason: str | None
    # The event's tag: a statement view, or a no-debt certificate issued, refused or downloaded.
    tag: str = EventTag.STATEMENT_VIEW


def _viewer(event: EventRow, *, holder: Citizen, grantees: Mapping[str, str]) -> Viewer:
    """The viewer as they were to the account when they viewed it: the role the view was decided
    on is in the row. A grant made later does not name an earlier viewer (else granting guessed
    FINs and revoking them would unmask who looked), nor does a revocation hide an earlier one."""
    if event.actor is None:
        return Viewer(kind="anonymous")
    if event.actor == holder.pseudonym:
        return Viewer(kind="you")
    role = json.loads(event.details).get("role")
    if role == "authorised":
        return Viewer(kind="authorised", label=grantees.get(event.actor))
    if role == "admin":
        return Viewer(kind="admin")
    # The end of the pseudonym: the holder can tell one repeated viewer from many, and no more.
    return Viewer(kind="other", label=f"…{event.actor[-6:]}")


def account_views(
    *, database: Database, holder: Citizen, code: str, channel: Channel, limit: int = 100
) -> list[AccountView]:
    """Every view of one of the holder's accounts, newest first (refused attempts included)."""
    settings = database.settings
    with refusals_recorded(
        database.write(),
        tag=EventTag.ACCESS_REFUSED,
        viewer=holder,
        channel=channel,
        details={"what": "account_views"},
    ) as db:
        subscriber = holders_subscriber(db, holder=holder, code=code, settings=settings)
        grants = repository.grants_for(db, code=subscriber.code, holder_fin=holder.fin)
        grantees = {pseudonym_of(g.grantee_fin, settings): mask_fin(g.grantee_fin) for g in grants}
        events = recent_events(
            db, EventFilter(subscriber_code=subscriber.code, tags=VIEW_TAGS), limit=limit
        )
        return [
            AccountView(
                occurred_at=event.occurred_at,
                viewer=_viewer(event, holder=holder, grantees=grantees),
                channel=event.channel,
                result=event.result or "refused",
                reason=event.reason,
                tag=event.tag,
            )
            for event in events
        ]


def my_account_views(
    *, database: Database, holder: Citizen, channel: Channel, limit: int = 100
) -> dict[str, list[AccountView]]:
    """ "Who viewed my account", for every code the citizen holds."""
    return {
        code: account_views(
            database=database, holder=holder, code=code, channel=channel, limit=limit
        )
        for code in accounts_of(database=database, citizen=holder)
    }


# The ICT department (regulation 3.5) --------------------------------------------------------------


def oversight(
    *,
    database: Database,
    admin: Citizen,
    channel: Channel,
    code: str | None = None,
    citizen_fin: str | None = None,
    since: datetime | None = None,
) -> audit.OversightReport:
    """``audit query`` for an admin: views per hour, refusals, the widest viewers; logged."""
    settings = database.settings
    with refusals_recorded(
        database.write(),
        tag=EventTag.ACCESS_REFUSED,
        viewer=admin,
        channel=channel,
        details={"what": "oversight"},
    ) as db:
        if not is_admin(admin, settings):
            raise Forbidden(reason="not_admin")
        report = audit.oversight_query(
            db=db, settings=settings, code=code, citizen_fin=citizen_fin, since=since
        )
        record_citizen_event(
            db,
            tag=EventTag.ADMIN_AUDIT_QUERY,
            viewer=admin,
            channel=channel,
            code=report.subscriber_code,
            details={"by_citizen": citizen_fin is not None},
        )
        return report
