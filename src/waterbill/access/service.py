"""The access policy in the service layer: pages, the API and the CLI all go through here.

Each function owns its short write transaction. A statement is returned only after the transaction
that logs its view has committed (the statement itself may be read from a replica first); and a
refusal is committed to the log before it is raised, which a transaction owned by the caller would
roll back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from waterbill import clock
from waterbill.access import repository
from waterbill.access.policy import Decision, ViewerKind, decide, mask_fin, role_of
from waterbill.access.repository import Grant
from waterbill.audit import service as audit
from waterbill.audit.chain import EventRow
from waterbill.audit.repository import EventFilter, recent_events
from waterbill.audit.tags import VIEW_TAGS, Channel, EventTag, Result
from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.auth.identity import Citizen, pseudonymous_id
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.errors import (
    AuditUnavailable,
    MalformedFin,
    ServiceError,
)
from waterbill.identifiers import parse_code, parse_fin, well_formed_code
from waterbill.statement import repository as statements
from waterbill.statement.domain import Statement, Subscriber, mask_statement
from waterbill.statement.service import get_statement

Details = Mapping[str, str | int | bool | None]
T = TypeVar("T")


def pseudonym_of(fin: str, settings: Settings) -> str:
    """The pseudonymous id of a FIN under this deployment's key, as the sign-in computes it."""
    return pseudonymous_id(fin, key=settings.secret_bytes)


def is_admin(citizen: Citizen, settings: Settings) -> bool:
    return citizen.fin in settings.admin_fins


def record_citizen_event(
    db: Connection,
    *,
    tag: EventTag,
    viewer: Citizen | None,
    channel: Channel,
    code: str | None = None,
    result: Result | None = None,
    reason: str | None = None,
    details: Details | None = None,
) -> None:
    """Append the event for this citizen, or fail closed: no audit row, no answer."""
    try:
        audit.record_event(
            db=db,
            tag=tag,
            actor=viewer.pseudonym if viewer else None,
            channel=channel,
            code=code,
            auth_method=viewer.auth_method if viewer else None,
            result=result,
            reason=reason,
            details=details,
        )
    except SQLAlchemyError as error:
        raise AuditUnavailable() from error


def record_sign_in_failure(*, db: Connection, reason: str) -> None:
    """A refused sign-in: nobody is identified yet, so only the reason is kept."""
    record_citizen_event(
        db,
        tag=EventTag.AUTH_LOGIN_FAILURE,
        viewer=None,
        channel="web",
        result="refused",
        reason=reason[:40] or None,
    )


def _loggable_code(refusal: ServiceError) -> str | None:
    # Only a well-formed code is logged: free text typed into the form could be anything.
    code = refusal.params.get("code")
    return code if isinstance(code, str) else None


# Viewing a statement ------------------------------------------------------------------------------


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

    See ``view_statement_and``, which this is without a second read.
    """
    statement, _ = view_statement_and(
        database=database,
        viewer=viewer,
        code=code,
        channel=channel,
        as_of=as_of,
        settings=settings,
        then=_nothing,
    )
    return statement


def _nothing(_db: Connection, _statement: Statement) -> None:
    return None


def view_statement_and(
    *,
    database: Database,
    viewer: Citizen | None,
    code: str,
    channel: Channel,
    then: Callable[[Connection, Statement], T],
    as_of: date | datetime | None = None,
    settings: Settings | None = None,
) -> tuple[Statement, T]:
    """The statement of ``code`` as ``viewer`` may see it under the configured policy, logged,
    and ``then(connection, statement)`` run on the primary on the connection that logs the view
    (what a page shows beside the statement, read without a connection of its own; it only
    reads: on PostgreSQL each statement there commits by itself).

    With read replicas, the statement itself, the heavy read, comes from a replica within the lag
    bound (or the primary), and the grants the policy needs and the log are on the primary. Without
    them, the read, the policy and the log share one primary connection: one connection and its
    round trips fewer on every view (issue 9). Either way the statement is never returned before
    the row that logs its view has committed.

    Raises Unauthenticated, MalformedCode, UnknownCode, NotHousehold or Forbidden (each logged as
    ``access:refused``), or AuditUnavailable when the log cannot be written.
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
    # fewer than a transaction around them (issue 21).
    with database.write_each() as db:
        try:
            if viewer is None:
                raise Unauthenticated(code=well_formed_code(code, settings.code_length_range))
            if refusal is not None:
                raise refusal
            return _view(
                db,
                viewer=viewer,
                statement=statement or read(db),
                channel=channel,
                settings=settings,
                then=then,
            )
        except AuditUnavailable:
            raise  # nothing was logged, so nothing may be shown or committed
        except Forbidden as error:
            # Logged where it was decided, with the viewer's role; committed before it is raised.
            refusal = error
        except ServiceError as error:
            record_citizen_event(
                db,
                tag=EventTag.ACCESS_REFUSED,
                viewer=viewer,
                channel=channel,
                code=_loggable_code(error),
                result="refused",
                reason=error.code,
            )
            refusal = error
    raise refusal


def operator_statement(
    *, database: Database, code: str, as_of: date | datetime | None = None
) -> Statement:
    """The full statement for an operator at the console (``waterbill statement``), logged.

    The operator has the database itself, so no policy applies; the log still says who was seen.
    """
    settings = database.settings
    with database.write() as db:
        try:
            statement = get_statement(
                db=db, code=code, as_of=as_of, code_length=settings.code_length_range
            )
        except ServiceError as error:
            record_citizen_event(
                db,
                tag=EventTag.ACCESS_REFUSED,
                viewer=None,
                channel="cli",
                code=_loggable_code(error),
                result="refused",
                reason=error.code,
            )
            refusal = error
        else:
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
    raise refusal


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


def _view(
    db: Connection,
    *,
    viewer: Citizen,
    statement: Statement,
    channel: Channel,
    settings: Settings,
    then: Callable[[Connection, Statement], T],
) -> tuple[Statement, T]:
    subscriber = statement.subscriber
    decision = decision_for(db, viewer=viewer, subscriber=subscriber, settings=settings)
    role = decision.role

    def log(tag: EventTag, reason: str | None) -> None:
        record_citizen_event(
            db,
            tag=tag,
            viewer=viewer,
            channel=channel,
            code=subscriber.code,
            result=decision.result,
            reason=reason,
            details={"role": role},
        )

    if decision.result == "refused":
        log(EventTag.ACCESS_REFUSED, Forbidden.code)
        raise Forbidden(code=subscriber.code, reason=decision.reason)
    shown = statement
    if decision.result == "masked":
        shown = mask_statement(statement, reason=decision.reason)
    # The audit row last: appending locks its chain's head until the transaction commits.
    extra = then(db, shown)
    log(EventTag.STATEMENT_VIEW, decision.reason)
    return shown, extra


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
    with database.write() as db:
        try:
            subscriber = _holders_subscriber(db, holder=holder, code=code, settings=settings)
        except ServiceError as error:
            record_citizen_event(
                db,
                tag=EventTag.ACCESS_REFUSED,
                viewer=holder,
                channel=channel,
                code=_loggable_code(error),
                result="refused",
                reason=error.code,
                details={"what": "account_views"},
            )
            refusal = error
        else:
            grants = repository.grants_for(db, code=subscriber.code, holder_fin=holder.fin)
            grantees = {
                pseudonym_of(g.grantee_fin, settings): mask_fin(g.grantee_fin) for g in grants
            }
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
    raise refusal


def my_account_views(
    *, database: Database, holder: Citizen, channel: Channel, limit: int = 100
) -> dict[str, list[AccountView]]:
    """ "Who viewed my account", for every code the citizen holds."""
    with database.read() as db:
        codes = statements.codes_held_by(db, holder.fin)
    return {
        code: account_views(
            database=database, holder=holder, code=code, channel=channel, limit=limit
        )
        for code in codes
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
    with database.write() as db:
        try:
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
        except AuditUnavailable:
            raise
        except ServiceError as error:
            record_citizen_event(
                db,
                tag=EventTag.AUTHORISATION_REFUSED,
                viewer=holder,
                channel=channel,
                code=_loggable_code(error),
                result="refused",
                reason=error.code,
                details={"action": "grant" if grant else "revoke"},
            )
            refusal = error
    raise refusal


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
    with database.write() as db:
        try:
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
        except AuditUnavailable:
            raise
        except ServiceError as error:
            record_citizen_event(
                db,
                tag=EventTag.ACCESS_REFUSED,
                viewer=admin,
                channel=channel,
                result="refused",
                reason=error.code,
                details={"what": "oversight"},
            )
            refusal = error
    raise refusal


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
