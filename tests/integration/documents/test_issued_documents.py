"""Issuing and verifying documents against the real database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from tests.unit.presentation.builders import monthly, statement
from waterbill.documents.service import issue_document, verify_document
from waterbill.errors import MalformedVerificationCode, UnknownDocument

KEY = b"test-secret-key-0123456789"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _issue(engine: Engine) -> tuple[str, bytes]:
    with engine.begin() as db:
        document, file = issue_document(
            db=db,
            key=KEY,
            kind="csv",
            locale="az",
            statement=statement(monthly(["10", "12"])),
            render=lambda code: f"Yoxlama kodu;{code}\n".encode(),
            now=NOW,
        )
    return document.code, file


def test_an_issued_document_verifies_by_its_code_with_its_file(engine: Engine) -> None:
    code, file = _issue(engine)
    assert code.encode() in file
    with engine.connect() as db:
        document, verdict = verify_document(db=db, key=KEY, code=code.lower(), file=file)
    assert verdict == "genuine"
    assert document.issued_at == NOW
    assert document.content["subscriber"]["code"] == "0104410203"
    assert document.content["months"][0]["invoiced"] == "10.00"


def test_a_record_changed_in_the_database_fails_verification(engine: Engine) -> None:
    code, file = _issue(engine)
    with engine.begin() as db:
        db.execute(text("UPDATE issued_documents SET content = replace(content, '10.00', '1.00')"))
    with engine.connect() as db:
        _, verdict = verify_document(db=db, key=KEY, code=code, file=file)
    assert verdict == "tampered"


def test_an_unknown_and_a_malformed_code_are_refused_with_their_codes(engine: Engine) -> None:
    with engine.connect() as db, pytest.raises(UnknownDocument):
        verify_document(db=db, key=KEY, code="0000-0000-0000-0000")
    with engine.connect() as db, pytest.raises(MalformedVerificationCode):
        verify_document(db=db, key=KEY, code="not a code")
