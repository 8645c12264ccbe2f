"""Issued documents and how one is proven genuine and unchanged: pure functions, no framework.

Every PDF or CSV the service hands out gets a random verification code and is recorded with
two SHA-256 digests: one of the content it shows (the statement as canonical JSON) and one of
the exact file. A keyed seal (HMAC-SHA256 under the service's secret key) binds the code, the
digests and the issue time, so that a record altered in the database no longer verifies, and
whoever holds the file can show that not one byte of it changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

DocumentKind = Literal["pdf", "csv"]
Verdict = Literal["genuine", "file_differs", "tampered"]

# Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 random bits: guessing one of a billion codes takes ~10¹⁵ tries
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """``K7Q4M2XD9TPA3B6C`` as ``K7Q4-M2XD-9TPA-3B6C``, easier to read off paper."""
    return "-".join(code[start : start + 4] for start in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """The code as stored, from what a person typed or a QR code carried; None when malformed."""
    code = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def canonical_json(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    code: str
    kind: DocumentKind
    locale: str
    subscriber_code: str
    issued_at: datetime
    content: Mapping[str, Any]
    content_sha256: str
    file_sha256: str
    seal: str

    @classmethod
    def issue(
        cls,
        *,
        key: bytes,
        code: str,
        kind: DocumentKind,
        locale: str,
        subscriber_code: str,
        issued_at: datetime,
        content: Mapping[str, Any],
        file: bytes,
    ) -> IssuedDocument:
        if issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        content_sha256 = sha256(canonical_json(content))
        file_sha256 = sha256(file)
        return cls(
            code=code,
            kind=kind,
            locale=locale,
            subscriber_code=subscriber_code,
            issued_at=issued_at,
            content=content,
            content_sha256=content_sha256,
            file_sha256=file_sha256,
            seal=seal(
                key,
                code=code,
                kind=kind,
                subscriber_code=subscriber_code,
                issued_at=issued_at,
                content_sha256=content_sha256,
                file_sha256=file_sha256,
            ),
        )

    def check(self, *, key: bytes, file: bytes | None = None) -> Verdict:
        """``genuine`` when the record is intact and, if a file is given, it is the one issued."""
        expected = seal(
            key,
            code=self.code,
            kind=self.kind,
            subscriber_code=self.subscriber_code,
            issued_at=self.issued_at,
            content_sha256=self.content_sha256,
            file_sha256=self.file_sha256,
        )
        intact = hmac.compare_digest(expected, self.seal) and hmac.compare_digest(
            sha256(canonical_json(self.content)), self.content_sha256
        )
        if not intact:
            return "tampered"
        if file is not None and not hmac.compare_digest(sha256(file), self.file_sha256):
            return "file_differs"
        return "genuine"


def seal(
    key: bytes,
    *,
    code: str,
    kind: str,
    subscriber_code: str,
    issued_at: datetime,
    content_sha256: str,
    file_sha256: str,
) -> str:
    message = "\n".join(
        (code, kind, subscriber_code, issued_at.isoformat(), content_sha256, file_sha256)
    )
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
