"""A statement view on the event loop: the API's path on PostgreSQL without read replicas.

Issue 21: the same view as ``service.view_statement`` (the same query, policy, statement rules and
audit row) on one autocommit connection of psycopg's async pool, without a request thread or
SQLAlchemy. Each statement commits as it returns, so the view's audit row is durable before the
statement is returned; a refusal is logged before it is raised; no audit row, no answer.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from waterbill.access import repository
from waterbill.access.policy import decide, grant_needed, role_of
from waterbill.access.service import _loggable_code, is_admin
from waterbill.audit import service as audit
from waterbill.audit.tags import Channel, EventTag, Result
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.config import Settings
from waterbill.errors import AuditUnavailable, ServiceError
from waterbill.statement.domain import Statement, mask_statement
from waterbill.statement.service import get_statement_async


async def view_statement(
    pool: AsyncConnectionPool[Any],
    *,
    viewer: Citizen,
    code: str,
    channel: Channel,
    settings: Settings,
) -> Statement:
    """The statement of ``code`` as ``viewer`` may see it under the configured policy, logged.

    Raises MalformedCode, UnknownCode, NotHousehold or Forbidden (each logged as
    ``access:refused``), or AuditUnavailable when the log cannot be written.
    """
    async with pool.connection() as db:
        try:
            statement = await get_statement_async(
                db=db, code=code, code_length=settings.code_length_range
            )
            return await _view(
                db, viewer=viewer, statement=statement, channel=channel, settings=settings
            )
        except (AuditUnavailable, Forbidden):
            raise  # nothing logged, or logged where it was decided
        except ServiceError as error:
            await _record(
                db,
                tag=EventTag.ACCESS_REFUSED,
                viewer=viewer,
                channel=channel,
                code=_loggable_code(error),
                result="refused",
                reason=error.code,
            )
            raise


async def _view(
    db: AsyncConnection[Any],
    *,
    viewer: Citizen,
    statement: Statement,
    channel: Channel,
    settings: Settings,
) -> Statement:
    subscriber = statement.subscriber
    admin = is_admin(viewer, settings)
    authorised = grant_needed(
        viewer_fin=viewer.fin, holder_fin=subscriber.holder_fin, is_admin=admin
    ) and await repository.is_authorised_async(
        db, code=subscriber.code, holder_fin=subscriber.holder_fin, grantee_fin=viewer.fin
    )
    role = role_of(
        viewer_fin=viewer.fin,
        holder_fin=subscriber.holder_fin,
        is_admin=admin,
        is_authorised=authorised,
    )
    decision = decide(policy=settings.access_policy, role=role)
    if decision.result == "refused":
        await _record(
            db,
            tag=EventTag.ACCESS_REFUSED,
            viewer=viewer,
            channel=channel,
            code=subscriber.code,
            result=decision.result,
            reason=Forbidden.code,
            details={"role": role},
        )
        raise Forbidden(code=subscriber.code, reason=decision.reason)
    shown = statement
    if decision.result == "masked":
        shown = mask_statement(statement, reason=decision.reason)
    await _record(
        db,
        tag=EventTag.STATEMENT_VIEW,
        viewer=viewer,
        channel=channel,
        code=subscriber.code,
        result=decision.result,
        reason=decision.reason,
        details={"role": role},
    )
    return shown


async def _record(
    db: AsyncConnection[Any],
    *,
    tag: EventTag,
    viewer: Citizen,
    channel: Channel,
    code: str | None,
    result: Result,
    reason: str | None,
    details: dict[str, str] | None = None,
) -> None:
    """Append the event for this citizen, or fail closed: no audit row, no answer."""
    try:
        await audit.record_event_async(
            db=db,
            tag=tag,
            actor=viewer.pseudonym,
            channel=channel,
            code=code,
            auth_method=viewer.auth_method,
            result=result,
            reason=reason,
            details=details,
        )
    except psycopg.Error as error:
        raise AuditUnavailable() from error
