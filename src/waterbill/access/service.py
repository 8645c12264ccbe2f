"""The access policy in the service layer: pages, the API and the CLI all go through here.

Each function owns its short write transaction. A statement is returned only after the transaction
that logs its view has committed (the statement itself may be read from a replica first); and a
refusal is committed to the log before it is raised, which a transaction owned by the caller would
roll back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import Connection

from waterbill import clock
from waterbill.access import repository
from waterbill.access.policy import Decision, ViewerKind, decide, is_admin, mask_fin, role_of
from waterbill.access.repository import Grant
from waterbill.audit import service as audit
from waterbill.audit.chain import EventRow
from waterbill.audit.events import record_citizen_event, refusals_recorded
from waterbill.audit.repository import EventFilter, recent_events
from waterbill.audit.tags import VIEW_TAGS, Channel, EventTag
from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.auth.identity import Citizen, pseudonymous_id
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes.access import may_dispute
from waterbill.disputes.service import NO_DISPUTES, StatementDisputes, disputes_on_statement
from waterbill.errors import MalformedFin, ServiceError
from waterbill.identifiers import parse_code, parse_fin, well_formed_code
from waterbill.readings.service import NO_READINGS, StatementReadings, readings_on_statement
from waterbill.statement import repository as statements
from waterbill.statement.domain import Statement, Subscriber, mask_statement
from waterbill.statement.service import accounts_of, get_statement


def pseudonym_of(fin: str, settings: Settings) -> str:
    """The pseudonymous id of a FIN under this deployment's key, as the sign-in computes it."""
    return pseudonymous_id(fin, key=settings.secret_bytes)


# Viewing a statement ------------------------------------------------------------------------------


@contextmanager
def _viewing(
    *,
    database: Database,
    viewer: Citizen | None,
    code: str,
    channel: Channel,
    as_of: date | datetime | None,
    settings: Settings | None,
) -> Iterator[tuple[Connection, Statement, Decision]]:
    """The unit of work of one view: the statement of ``code`` as ``viewer`` may see it under the
    configured policy, the decision, and the primary connection that logs the view when the block
    ends (what a page shows beside the statement is read on it: it only reads, and on PostgreSQL
    each statement there commits by itself).

    With read replicas, the statement itself, the heavy read, comes from a replica within the lag
    bound (or the primary), and the grants the policy needs and the log are on the primary. Without
    them, the read, the policy and the log share one primary connection: one connection and its
    round trips fewer on every view (issue 9). Either way the statement is never returned before
    the row that logs its view has committed.
    """
    settings = settings or database.settings

    def read(db: Connection) -> Statement:
        return get_statement(db=db, code=code, as_of=as_of, code_length=settings.code_length_range)

    statement: Statement | None = None
    refusal: ServiceError | None = None
    if viewer is not None and database.replicas:
        try:
            statement = database.run_read(read)
        except ServiceError as error:
            refusal = error
    # Every write here is one statement (the audit row, on PostgreSQL), so each commits as it
    # returns: the view's row is durable before the statement is returned, in two round trips
    # fewer than a transaction around them (issue 21). A refusal the policy decides is logged
    # where it is decided, with the viewer's role.
    with refusals_recorded(
        database.write_each(),
        tag=EventTag.ACCESS_REFUSED,
        viewer=viewer,
        channel=channel,
        logged=(Forbidden,),
    ) as db:
        if viewer is None:
            raise Unauthenticated(code=well_formed_code(code, settings.code_length_range))
        if refusal is not None:
            raise refusal
        statement = statement or read(db)
        subscriber = statement.subscriber
        decision = decision_for(db, viewer=viewer, subscriber=subscriber, settings=settings)
        log = partial(
            record_citizen_event,
            db,
            viewer=viewer,
            channel=channel,
            code=subscriber.code,
            result=decision.result,
            details={"role": decision.role},
        )
        if decision.result == "refused":
            log(tag=EventTag.ACCESS_REFUSED, reason=Forbidden.code)
            raise Forbidden(code=subscriber.code, reason=decision.reason)
        if decision.result == "masked":
            statement = mask_statement(statement, reason=decision.reason)
        yield db, statement, decision
        # The audit row last: appending locks its chain's head until the transaction commits.
        log(tag=EventTag.STATEMENT_VIEW, reason=decision.reason)


def view_statement(
    *,
    database: Database,
    viewer: Citizen | None,
    code: str,
    channel: Channel,
    as_of: date | datetime | None = None,
    settings: Settings | None = None,
) -> Statement:
    """The statement of ``code`` as ``viewer`` may see it under the configured policy, logged.

    Raises Unauthenticated, MalformedCode, UnknownCode, NotHousehold or Forbidden (each logged as
    ``access:refused``), or AuditUnavailable when the log cannot be written.
    """
    with _viewing(
        database=database,
        viewer=viewer,
        code=code,
        channel=channel,
        as_of=as_of,
        settings=settings,
    ) as (_, statement, _):
        return statement


@dataclass(frozen=True, slots=True)
class StatementPage:
    """The statement as the viewer may see it, with the requests and readings shown beside it."""

    statement: Statement
    disputes: StatementDisputes
    readings: StatementReadings


def statement_page(
    *, database: Database, viewer: Citizen | None, code: str, channel: Channel
) -> StatementPage:
    """``view_statement``, and what the page shows beside the months, read in the same unit of
    work: the requests and readings of the account, to a viewer who may dispute it and submit its
    readings (the holder or a citizen the holder authorised).

    A masked statement is shown to whoever is neither: they may not dispute it, nor read its
    requests and readings.
    """
    with _viewing(
        database=database,
        viewer=viewer,
        code=code,
        channel=channel,
        as_of=None,
        settings=None,
    ) as (db, statement, decision):
        if statement.masked:
            return StatementPage(statement, NO_DISPUTES, NO_READINGS)
        assert viewer is not None  # a view without one was refused
        subscriber = statement.subscriber
        # The role the view was decided on answers for the holder and the authorised; an admin
        # may hold a grant all the same, which the policy did not look up.
        may_act = decision.role in ("holder", "authorised") or (
            decision.role == "admin" and may_dispute(db, citizen=viewer, subscriber=subscriber)
        )
        return StatementPage(
            statement=statement,
            disputes=disputes_on_statement(
                db=db,
                subscriber=subscriber,
                months=tuple(month.period for month in statement.months),
                may_file=may_act,
            ),
            readings=readings_on_statement(
                db=db, subscriber=subscriber, since=statement.months[0].period, may_submit=may_act
            ),
        )


def operator_statement(
    *, database: Database, code: str, as_of: date | datetime | None = None
) -> Statement:
    """The full statement for an operator at the console (``waterbill statement``), logged.

    The operator has the database itself, so no policy applies; the log still says who was seen.
    """
    settings = database.settings
    with refusals_recorded(
        database.write(), tag=EventTag.ACCESS_REFUSED, viewer=None, channel="cli"
    ) as db:
        statement = get_statement(
            db=db, code=code, as_of=as_of, code_length=settings.code_length_range
        )
        record_citizen_event(
            db,
            tag=EventTag.STATEMENT_VIEW,
            viewer=None,
            channel="cli",
            code=statement.subscriber.code,
            result="full",
            reason="operator",
        )
        return statement


def decision_for(
    db: Connection, *, viewer: Citizen, subscriber: Subscriber, settings: Settings
) -> Decision:
    """What the configured policy lets ``viewer`` see of ``subscriber``'s account."""
    admin = is_admin(viewer, settings)
    # The grant lookup is skipped for the holder and admins: the common path stays short.
    authorised = (
        viewer.fin != subscriber.holder_fin
        and not admin
        and repository.is_authorised(
            db, code=subscriber.code, holder_fin=subscriber.holder_fin, grantee_fin=viewer.fin
        )
    )
    role = role_of(
        viewer_fin=viewer.fin,
        holder_fin=subscriber.holder_fin,
        is_admin=admin,
        is_authorised=authorised,
    )
    return decide(policy=settings.access_policy, role=role)


# The holder's side: who viewed my account, and whom I authorised ----------------------------------


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


def _holders_subscriber(
    db: Connection, *, holder: Citizen, code: str, settings: Settings
) -> Subscriber:
    code = parse_code(code, settings.code_length_range)
    found = statements.find_subscriber(db, code)
    # No such code is refused as a code of someone else: what the holder alone may do tells
    # nobody else whether a code exists (issue 22).
    if found is None or found[1].holder_fin != holder.fin:
        raise Forbidden(code=code, reason="not_holder")
    return found[1]


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
        subscriber = _holders_subscriber(db, holder=holder, code=code, settings=settings)
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


def authorisations_of(*, database: Database, holder: Citizen, code: str) -> list[Grant]:
    """The grants the holder made on one code, the revoked ones included (newest first)."""
    # On the primary: the page right after a grant or a revocation must show it.
    with database.read(primary=True) as db:
        subscriber = _holders_subscriber(db, holder=holder, code=code, settings=database.settings)
        return repository.grants_for(db, code=subscriber.code, holder_fin=holder.fin)


def _change_grant(
    *,
    database: Database,
    holder: Citizen,
    code: str,
    grantee_fin: str,
    channel: Channel,
    grant: bool,
) -> list[Grant]:
    settings = database.settings
    now = clock.now()
    with refusals_recorded(
        database.write(),
        tag=EventTag.AUTHORISATION_REFUSED,
        viewer=holder,
        channel=channel,
        details={"action": "grant" if grant else "revoke"},
    ) as db:
        subscriber = _holders_subscriber(db, holder=holder, code=code, settings=settings)
        try:
            grantee = parse_fin(grantee_fin)
        except ValueError:
            raise MalformedFin(reason="shape") from None
        if grantee == holder.fin:
            raise MalformedFin(reason="own_fin")
        changed = _apply(db, subscriber=subscriber, grantee=grantee, grant=grant, now=now)
        if changed:
            record_citizen_event(
                db,
                tag=EventTag.AUTHORISATION_GRANTED if grant else EventTag.AUTHORISATION_REVOKED,
                viewer=holder,
                channel=channel,
                code=subscriber.code,
                details={"grantee": pseudonym_of(grantee, settings)},
            )
        return repository.grants_for(db, code=subscriber.code, holder_fin=holder.fin)


def _apply(
    db: Connection, *, subscriber: Subscriber, grantee: str, grant: bool, now: datetime
) -> bool:
    """Grant or revoke; True when something changed (granting twice is one grant)."""
    key = {"code": subscriber.code, "holder_fin": subscriber.holder_fin, "grantee_fin": grantee}
    if grant:
        if repository.is_authorised(db, **key):
            return False
        repository.add_grant(db, now=now, **key)
        return True
    return repository.revoke_grants(db, now=now, **key) > 0


def grant_authorisation(
    *, database: Database, holder: Citizen, code: str, grantee_fin: str, channel: Channel
) -> list[Grant]:
    """Let ``grantee_fin`` see the full statement of the holder's ``code``; logged."""
    return _change_grant(
        database=database,
        holder=holder,
        code=code,
        grantee_fin=grantee_fin,
        channel=channel,
        grant=True,
    )


def revoke_authorisation(
    *, database: Database, holder: Citizen, code: str, grantee_fin: str, channel: Channel
) -> list[Grant]:
    """Withdraw every active grant of ``code`` to ``grantee_fin``; logged."""
    return _change_grant(
        database=database,
        holder=holder,
        code=code,
        grantee_fin=grantee_fin,
        channel=channel,
        grant=False,
    )


# Oversight by the ICT department (regulation 3.5) -----------------------------------------------


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
        report = oversight_query(
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


def oversight_query(
    *,
    db: Connection,
    settings: Settings,
    code: str | None = None,
    citizen_fin: str | None = None,
    since: datetime | None = None,
) -> audit.OversightReport:
    """The report itself, for a code or a citizen (a FIN, looked up by its pseudonym)."""
    actor = None
    if citizen_fin is not None:
        try:
            actor = pseudonym_of(parse_fin(citizen_fin), settings)
        except ValueError:
            raise MalformedFin(reason="shape") from None
    parsed = parse_code(code, settings.code_length_range) if code is not None else None
    return audit.oversight_report(db=db, since=since, code=parsed, actor=actor)


def my_authorisations(*, database: Database, holder: Citizen) -> dict[str, list[Grant]]:
    """The grants on every code the citizen holds, the revoked ones included (newest first)."""
    # On the primary: the page right after a grant or a revocation must show it.
    with database.read(primary=True) as db:
        return {
            code: repository.grants_for(db, code=code, holder_fin=holder.fin)
            for code in statements.codes_held_by(db, holder.fin)
        }
