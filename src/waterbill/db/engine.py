"""Engines from the plain URLs people already have; the application picks its own driver."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from waterbill.config import Settings


def normalise_url(raw: str) -> URL:
    """Map ``postgresql://`` / ``postgres://`` to psycopg 3 and keep SQLite as it is."""
    url = make_url(raw)
    if url.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in {"postgresql+psycopg", "sqlite", "sqlite+pysqlite"}:
        raise ValueError(f"unsupported database URL scheme: {url.drivername}")
    return url


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while an import writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(raw_url: str, settings: Settings | None = None, **overrides: Any) -> Engine:
    settings = settings or Settings()
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **overrides)
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, round(settings.database_connect_timeout)),
        # A peer that vanishes without a reset (a cut network) is noticed in seconds, not hours.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": 5_000,
    }
    if settings.database_statement_timeout > 0:
        statement_ms = round(settings.database_statement_timeout * 1000)
        connect_args["options"] = f"-c statement_timeout={statement_ms}"
    options: dict[str, Any] = {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_pool_size,
        # A connection broken by an outage is replaced on checkout, so recovery needs no restart.
        "pool_pre_ping": True,
        "pool_timeout": settings.database_pool_timeout,
        "connect_args": connect_args,
    }
    options.update(overrides)
    return create_engine(url, **options)
