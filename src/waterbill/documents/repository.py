"""Every query on issued documents, in one place. Returns domain values, never rows."""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert, select

from waterbill.documents.domain import IssuedDocument, canonical_json
from waterbill.documents.tables import issued_documents


def add(db: Connection, document: IssuedDocument) -> None:
    db.execute(
        insert(issued_documents).values(
            code=document.code,
            kind=document.kind,
            locale=document.locale,
            subscriber_code=document.subscriber_code,
            issued_at=document.issued_at,
            content=canonical_json(document.content).decode(),
            content_sha256=document.content_sha256,
            file_sha256=document.file_sha256,
            seal=document.seal,
        )
    )


def find(db: Connection, code: str) -> IssuedDocument | None:
    row = db.execute(select(issued_documents).where(issued_documents.c.code == code)).one_or_none()
    if row is None:
        return None
    return IssuedDocument(
        code=row.code,
        kind=row.kind,
        locale=row.locale,
        subscriber_code=row.subscriber_code,
        issued_at=row.issued_at,
        content=json.loads(row.content),
        content_sha256=row.content_sha256,
        file_sha256=row.file_sha256,
        seal=row.seal,
    )
