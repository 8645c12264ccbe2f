"""The primary's async connection pool, and SQLAlchemy statements as text for psycopg's async API.

Issue 21: the API's statement view runs on the event loop (``waterbill.access.async_views``)
with psycopg's ``AsyncConnectionPool``, on PostgreSQL without read replicas. Its statements are the
ones the sync repositories run, compiled once for psycopg: one SQL text for both paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from waterbill.config import Settings
from waterbill.db.engine import connect_args, normalise_url


@dataclass(frozen=True, slots=True)
class PsycopgSQL:
    """A statement as psycopg runs it: its text, and the values SQLAlchemy bound to constants."""

    text: str
    constants: dict[str, Any]

    def parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**self.constants, **values}


def psycopg_sql(statement: ClauseElement) -> PsycopgSQL:
    """``statement`` compiled as SQLAlchemy's psycopg dialect sends it, casts included."""
    compiled = statement.compile(dialect=psycopg_dialect())  # type: ignore[no-untyped-call]
    assert isinstance(compiled, SQLCompiler)
    constants = {
        name: bind.value for bind, name in compiled.bind_names.items() if not bind.required
    }
    return PsycopgSQL(text=str(compiled), constants=constants)


def async_pool(settings: Settings) -> AsyncConnectionPool | None:
    """A pool of autocommit connections to the primary, not yet open; None but on PostgreSQL
    without read replicas (there the sync path sends the statement's read to a replica)."""
    url = normalise_url(settings.database_url)
    if url.get_backend_name() != "postgresql" or settings.database_replica_urls:
        return None
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return AsyncConnectionPool(
        conninfo,
        # Opened on demand, up to as many as the sync path has request threads.
        min_size=1,
        max_size=settings.database_pool_size,
        timeout=settings.database_pool_timeout,
        # The sync pool's pre-ping: a connection broken by an outage is replaced on checkout.
        check=AsyncConnectionPool.check_connection,
        kwargs={**connect_args(settings), "autocommit": True},
        open=False,
        name="waterbill-statements",
    )
