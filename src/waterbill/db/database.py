"""The application's handle on the store: where reads and writes go.

Writes always go to the primary. Reads go, in turn, to a replica whose measured lag is within
``WATERBILL_REPLICA_MAX_LAG`` (see ``replicas.py`` for how lag is measured), and to the primary
when none is. A replica that fails while a read is being served is marked down at once; the
failure never reaches the caller when the read is run through ``run_read``, which repeats it on the
primary (reads are idempotent, so repeating one is safe).

Units of work: one way to run a use case in one transaction
------------------------------------------------------------
A use case (a service function) takes ``database: Database`` and opens its own unit of work with
one of the methods below; a step inside a caller's unit of work takes ``db: Connection`` instead.
``database`` always names a ``Database`` and ``db`` always a ``Connection``. Routes never open
one: they call a use case, which decides what commits together (a route reading one thing may take
the request's read connection, ``web.deps.DbRead``).

- ``write()``: one transaction on the primary, committed when the block ends, rolled back on any
  error. What must not be rolled back with the answer (a refusal's audit row) is written in a
  unit of work of its own.
- ``write_each()``: for work whose every write is a single statement; on PostgreSQL each statement
  commits by itself (issue 21: the statement view's round trips), on SQLite the reads take no lock.
- ``read()`` / ``run_read()``: reading only, on a replica within the lag bound or the primary;
  ``read(primary=True)`` when the page must show what was just written.

One use case keeps a primary connection across many units of work: a CSV import on PostgreSQL
(``ingest/imports.py``), whose staging tables live on that connection while each batch commits
as a transaction of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from waterbill.config import Settings
from waterbill.db.engine import SQLITE_BEGIN, make_engine
from waterbill.db.replicas import Replica, ReplicaStatus, in_turn, probe_engine

T = TypeVar("T")

# SQLSTATE 40001 on a standby: a query cancelled because WAL replay needed the rows it was reading.
# The replica itself is healthy, so the read is repeated on the primary without marking it down.
_RECOVERY_CONFLICT = "40001"


class ReplicaFailed(Exception):
    """A replica broke while a ``read()`` block was using it; it is already marked down.

    The block's work is lost but safe to repeat, and repeating it will not reach that replica: the
    web layer repeats a GET once on this error, and ``run_read`` repeats on the primary by itself.
    Deliberately not a ``DBAPIError``, so a handler for database outages does not swallow it.
    """

    def __init__(self, replica: str) -> None:
        super().__init__(f"replica {replica} failed during a read")
        self.replica = replica


def _is_recovery_conflict(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == _RECOVERY_CONFLICT


# SQLSTATE 57014: the statement ran past its timeout. The query is slow, not the replica broken,
# and repeating it on the primary would only double its cost.
_QUERY_CANCELED = "57014"


def _replica_broke(error: DBAPIError) -> bool:
    """A failure of the replica itself rather than of the query (which the primary would repeat)."""
    if getattr(error.orig, "sqlstate", None) == _QUERY_CANCELED:
        return False
    return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)


class Database:
    """Reads on healthy replicas (or the primary), writes on the primary."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.primary: Engine = make_engine(settings.database_url, settings)
        self.replicas: list[Replica] = []
        self._turn = itertools.count()
        self._primary_probe: Engine | None = None
        if settings.database_replica_urls:
            if self.primary.dialect.name != "postgresql":
                raise ValueError("read replicas need a PostgreSQL primary (WATERBILL_DATABASE_URL)")
            self._primary_probe = probe_engine(
                settings.database_url,
                settings,
                "waterbill-primary-probe",
                pool_size=len(settings.database_replica_urls),
            )
            self.replicas = [
                Replica(url, settings, self._primary_probe)
                for url in settings.database_replica_urls
            ]
            for replica in self.replicas:
                replica.start()

    @property
    def dialect(self) -> str:
        return self.primary.dialect.name

    def _checkout_read(self, *, primary: bool = False) -> tuple[Replica | None, Connection]:
        """A connection to the next eligible replica, or to the primary when none answers."""
        if self.replicas and not primary:
            for replica in in_turn(self.replicas, next(self._turn)):
                try:
                    connection = replica.engine.connect()
                except DBAPIError as error:
                    replica.mark_down(error)
                    continue
                replica.served_read()
                return replica, connection
        return None, self.primary.connect()

    @contextmanager
    def read(self, *, primary: bool = False) -> Iterator[Connection]:
        """A connection for reading: a healthy replica's, or the primary's.

        ``primary=True`` is for a page that must show what the same citizen has just written
        (a replica may be up to the lag bound behind).

        A replica that cannot be reached is skipped silently. One that breaks inside the block is
        marked down and ``ReplicaFailed`` raised, so the caller can repeat the read; ``run_read``
        does that by itself.
        """
        replica, connection = self._checkout_read(primary=primary)
        with connection:
            try:
                yield connection
            except DBAPIError as error:
                if replica is None:
                    raise
                if _is_recovery_conflict(error):
                    raise ReplicaFailed(replica.name) from error
                if _replica_broke(error):
                    replica.mark_down(error)
                    raise ReplicaFailed(replica.name) from error
                raise

    def run_read(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` on a replica; if the replica fails meanwhile, on the primary."""
        replica, connection = self._checkout_read()
        try:
            with connection:
                return work(connection)
        except DBAPIError as error:
            if replica is None:
                raise
            if not _is_recovery_conflict(error):
                if not _replica_broke(error):
                    raise
                replica.mark_down(error)
        with self.primary.connect() as connection:
            return work(connection)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back on any error.

        On SQLite it holds the write lock from its BEGIN (``BEGIN IMMEDIATE``): a writer waits for
        another at the start, within the busy timeout, instead of failing when it first writes.
        """
        with self.primary.connect() as connection:
            if self.dialect == "sqlite":
                connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with connection.begin():
                yield connection

    @contextmanager
    def write_each(self) -> Iterator[Connection]:
        """For work whose every write is a single statement: on PostgreSQL each statement is its
        own transaction, committed when it returns (issue 21: no BEGIN and COMMIT round trips, and
        a row it locks is free again at once).

        On SQLite the reads run outside a transaction and the writes in one that pysqlite begins
        before the first of them, committed when the block ends: a statement view holds the single
        write lock only while its audit row is appended, not while the statement is read. No
        savepoint in the block: pysqlite begins no transaction before one.

        Nothing in the block may rely on two statements committing together, nor on its reads
        seeing one moment of the store.
        """
        if self.dialect == "sqlite":
            with self.primary.connect() as connection:
                connection.execution_options(**{SQLITE_BEGIN: "DRIVER"})
                driver: Any = connection.connection.dbapi_connection
                driver.isolation_level = "DEFERRED"
                try:
                    with connection.begin():
                        yield connection
                finally:
                    driver.isolation_level = None
            return
        with self.primary.connect() as connection:
            # psycopg's own switch, set and reset without a round trip (SQLAlchemy's isolation
            # level option asks the server on every checkout and return).
            raw: Any = connection.connection.dbapi_connection
            raw.autocommit = True
            try:
                yield connection
            finally:
                try:
                    if not raw.closed:
                        raw.autocommit = False
                except psycopg.Error:
                    # Lost, or stopped mid-statement: it is not given back to the pool as it is.
                    connection.invalidate()

    def replica_status(self) -> list[ReplicaStatus]:
        """Each replica's state and lag, for ``/readyz`` and ``/metrics``."""
        return [replica.status() for replica in self.replicas]

    def dispose(self) -> None:
        for replica in self.replicas:
            replica.dispose()
        if self._primary_probe is not None:
            self._primary_probe.dispose()
        self.primary.dispose()
