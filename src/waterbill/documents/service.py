"""Issuing a statement document and verifying one: what the web routes and the CLI call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from waterbill import clock
from waterbill.access.views import view_statement
from waterbill.auth.identity import Citizen
from waterbill.db.database import Database
from waterbill.documents import repository
from waterbill.documents.domain import (
    DocumentKind,
    IssuedDocument,
    Verdict,
    new_code,
    normalise_code,
)
from waterbill.errors import MalformedVerificationCode, UnknownDocument
from waterbill.statement.domain import Statement
from waterbill.statement.schemas import StatementOut


def document_content(statement: Statement) -> dict[str, Any]:
    """What a statement document shows, in the API's words (already masked when it was)."""
    return StatementOut.from_statement(statement).model_dump(mode="json")


def issue_document(
    *,
    db: Connection,
    key: bytes,
    kind: DocumentKind,
    locale: str,
    statement: Statement,
    render: Callable[[str], bytes],
    now: datetime | None = None,
    content: dict[str, Any] | None = None,
) -> tuple[IssuedDocument, bytes]:
    """Render the document with a fresh verification code and record it; returns the file too.

    ``render`` receives the code, so the code and the QR code are printed on the document itself.
    ``content`` is what the document shows, when it is not the statement itself (a certificate).
    """
    code = new_code()
    file = render(code)
    document = IssuedDocument.issue(
        key=key,
        code=code,
        kind=kind,
        locale=locale,
        subscriber_code=statement.subscriber.code,
        issued_at=now or clock.now(),
        content=document_content(statement) if content is None else content,
        file=file,
    )
    repository.add(db, document)
    return document, file


def statement_document(
    *,
    database: Database,
    viewer: Citizen,
    code: str,
    key: bytes,
    kind: DocumentKind,
    locale: str,
    prepare: Callable[[Statement], Callable[[str], bytes]],
    now: datetime,
) -> tuple[Statement, bytes]:
    """The statement of ``code`` as a file the viewer downloads, issued and recorded.

    Through the access policy, like the page: the same masking, and the download is logged.
    ``prepare`` turns the statement as shown into the renderer ``issue_document`` calls.

    Two units of work, as every download had: the view's, committed with its audit row before
    anything is rendered (a refusal stays logged), then the document's issue under its code.
    """
    statement = view_statement(database=database, viewer=viewer, code=code, channel="web")
    render = prepare(statement)
    with database.write() as db:
        _, file = issue_document(
            db=db,
            key=key,
            kind=kind,
            locale=locale,
            statement=statement,
            render=render,
            now=now,
        )
    return statement, file


def verification_code(text: str) -> str:
    """The code as stored, from what a person typed or a QR code carried; refused when malformed."""
    normalised = normalise_code(text)
    if normalised is None:
        raise MalformedVerificationCode()
    return normalised


def verify_document(
    *, db: Connection, key: bytes, code: str, file: bytes | None = None
) -> tuple[IssuedDocument, Verdict]:
    """The document issued under ``code`` and whether it (and ``file``, if given) is genuine.

    Raises MalformedVerificationCode or UnknownDocument.
    """
    document = repository.find(db, verification_code(code))
    if document is None:
        raise UnknownDocument()
    return document, document.check(key=key, file=file)
