"""The application's handle on the store: where reads and writes go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from waterbill.config import Settings
from waterbill.db.engine import make_engine


class Database:
    """Reads and writes through one primary engine; replicas can take the reads later."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.primary: Engine = make_engine(settings.database_url, settings)

    @property
    def dialect(self) -> str:
        return self.primary.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.primary.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back on any error."""
        with self.primary.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.primary.dispose()
