"""Which errors mean "the database is gone", as opposed to a bug or a missing table."""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def is_database_error(error: BaseException) -> bool:
    """A lost or unusable database, however deep the driver or a task group wrapped it."""
    if isinstance(error, BaseExceptionGroup):
        return any(is_database_error(inner) for inner in error.exceptions)
    if isinstance(error, PoolTimeoutError | DisconnectionError | psycopg.OperationalError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, psycopg.OperationalError)
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and is_database_error(cause)
