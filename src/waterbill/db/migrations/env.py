"""Alembic environment: one schema for SQLite and PostgreSQL, from waterbill.db.schema."""

from __future__ import annotations

from alembic import context

from waterbill.db.engine import make_engine
from waterbill.db.schema import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by waterbill.db.migrate"
    engine = (
        make_engine(url, pool_size=1, max_overflow=0) if "postgres" in url else make_engine(url)
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `waterbill db upgrade`")
run_migrations_online()
