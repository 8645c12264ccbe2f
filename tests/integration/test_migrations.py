"""Alembic's chain is sound, and upgrading an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from waterbill.db.migrate import alembic_config, current_revision, head_revision
from waterbill.db.schema import metadata


def test_migrations_form_one_numbered_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1
    numbers = sorted(int(revision.revision) for revision in revisions)
    assert numbers == list(range(1, len(revisions) + 1))
    for revision in revisions:
        assert revision.module.__file__ is not None
        assert revision.module.__file__.split("/")[-1].startswith(f"{revision.revision}_")


def test_an_upgraded_database_matches_the_models_exactly(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
