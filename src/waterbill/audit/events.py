"""What the services write to the audit log about a citizen: an event, or a refusal.

Every area that answers a citizen (statement views, grants, disputes, readings, certificates, the
sign-in) logs through here, so a refusal is recorded the same way everywhere and nothing is shown
when the log cannot be written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from waterbill.audit import service as audit
from waterbill.audit.tags import Channel, EventTag, Result
from waterbill.auth.identity import Citizen
from waterbill.errors import AuditUnavailable, ServiceError

Details = Mapping[str, str | int | bool | None]


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


def loggable_code(refusal: ServiceError) -> str | None:
    """The subscriber code a refusal names, once parsed: free text typed into a form could be
    anything, so an unparsed code is never logged."""
    code = refusal.params.get("code")
    return code if isinstance(code, str) else None


def record_refusal(
    db: Connection,
    refusal: ServiceError,
    *,
    tag: EventTag,
    viewer: Citizen | None,
    channel: Channel,
    code: str | None = None,
    details: Details | None = None,
) -> None:
    """Append ``refusal`` as a ``refused`` event; the code is the refusal's own unless given."""
    record_citizen_event(
        db,
        tag=tag,
        viewer=viewer,
        channel=channel,
        code=code if code is not None else loggable_code(refusal),
        result="refused",
        reason=refusal.code,
        details=details,
    )


@contextmanager
def refusals_recorded(
    unit: AbstractContextManager[Connection],
    *,
    tag: EventTag,
    viewer: Citizen | None,
    channel: Channel,
    details: Details | None = None,
    logged: tuple[type[ServiceError], ...] = (),
) -> Iterator[Connection]:
    """The unit of work ``unit`` (``database.write()`` …), in which a refusal is never lost.

    A ``ServiceError`` raised in the block is appended as ``tag`` in that unit of work, which then
    commits, and raised again: a refusal is in the log before the caller hears of it. Refusals of
    the ``logged`` types were logged where they were decided (committed all the same).
    ``AuditUnavailable`` rolls everything back: nothing was logged, so nothing may be kept.
    """
    refusal: ServiceError | None = None
    with unit as db:
        try:
            yield db
        except AuditUnavailable:
            raise
        except logged as error:
            refusal = error
        except ServiceError as error:
            record_refusal(db, error, tag=tag, viewer=viewer, channel=channel, details=details)
            refusal = error
    if refusal is not None:
        raise refusal
