"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from waterbill.config import get_settings


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The ``waterbill`` command's runner, its settings read afresh for the test database."""
    monkeypatch.setenv("WATERBILL_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
