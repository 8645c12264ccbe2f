"""Viewing a statement: the access policy applied, and every view logged, for pages, the API and
the CLI alike.

A statement is returned only after the unit of work that logs its view has committed (the
statement itself may be read from a replica first); a refusal is committed to the log before it is
raised, which a transaction owned by the caller would roll back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import Connection

from waterbill.access import repository
from waterbill.access.policy import Decision, decide, is_admin, role_of
from waterbill.audit.events import record_citizen_event, refusals_recorded
from waterbill.audit.tags import Channel, EventTag
from waterbill.auth.errors import Forbidden, Unauthenticated
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.disputes.access import may_dispute
from waterbill.disputes.service import NO_DISPUTES, StatementDisputes, disputes_on_statement
from waterbill.errors import ServiceError
from waterbill.identifiers import well_formed_code
from waterbill.readings.service import NO_READINGS, StatementReadings, readings_on_statement
from waterbill.statement.domain import Statement, Subscriber, mask_statement
from waterbill.statement.service import get_statement


@contextmanager
def _viewing(
    *,
    database: Database,
    viewer: Citizen | None,
    code: str,
    channel: Channel,
    as_of: date | datetime | None = None,
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
    settings = database.settings

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
    viewing = _viewing(database=database, viewer=viewer, code=code, channel=channel)
    with viewing as (db, statement, decision):
        if statement.masked:  # another citizen's: it shows no months to put anything beside
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
                db=db, subscriber=subscriber, since=statement.months[0].period, submitter=may_act
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
