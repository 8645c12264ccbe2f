"""`waterbill verify CODE [--file F]` against the real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from tests.unit.presentation.builders import monthly, statement
from waterbill.cli import main
from waterbill.config import get_settings
from waterbill.documents.domain import display_code
from waterbill.documents.service import issue_document

KEY = "test-secret-key-0123456789"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("WATERBILL_DATABASE_URL", database_url)
    monkeypatch.setenv("WATERBILL_SECRET_KEY", KEY)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _issued(engine: Engine, tmp_path: Path) -> tuple[str, Path]:
    with engine.begin() as db:
        document, file = issue_document(
            db=db,
            key=KEY.encode(),
            kind="csv",
            locale="en",
            statement=statement(monthly(["10"])),
            render=lambda code: f"Verification code,{display_code(code)}\n".encode(),
        )
    path = tmp_path / "statement.csv"
    path.write_bytes(file)
    return display_code(document.code), path


def test_the_issued_file_verifies(engine: Engine, cli: CliRunner, tmp_path: Path) -> None:
    code, path = _issued(engine, tmp_path)
    result = cli.invoke(main, ["verify", code, "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("genuine: the file is exactly the one issued")
    assert "subscriber: 0104410203" in result.output


def test_an_edited_file_fails_with_exit_code_one(
    engine: Engine, cli: CliRunner, tmp_path: Path
) -> None:
    code, path = _issued(engine, tmp_path)
    path.write_bytes(path.read_bytes() + b"Paid,1000.00\n")
    result = cli.invoke(main, ["verify", code, "--file", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("NOT the issued file")


def test_an_unknown_code_is_refused_with_its_error_code(cli: CliRunner, engine: Engine) -> None:
    result = cli.invoke(main, ["verify", "0000-0000-0000-0000"])
    assert result.exit_code == 2
    assert "unknown_document" in result.output
