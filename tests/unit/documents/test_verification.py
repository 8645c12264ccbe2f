"""Verification codes: a genuine document verifies; any change to it or its record does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from waterbill.documents.domain import (
    ALPHABET,
    CODE_LENGTH,
    IssuedDocument,
    display_code,
    new_code,
    normalise_code,
)

KEY = b"test-secret-key-0123456789"
FILE = b"%PDF-1.7 statement of 0104410203 ... 84,00 \xe2\x82\xbc"
CONTENT = {"subscriber": {"code": "0104410203"}, "totals": {"invoiced": "84.00", "paid": "80.00"}}


def issued(**overrides: object) -> IssuedDocument:
    values: dict[str, object] = {
        "key": KEY,
        "code": "K7Q4M2XD9TPA3B6C",
        "kind": "pdf",
        "locale": "az",
        "subscriber_code": "0104410203",
        "issued_at": datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
        "content": CONTENT,
        "file": FILE,
    }
    values.update(overrides)
    return IssuedDocument.issue(**values)  # type: ignore[arg-type]


def test_a_new_code_has_eighty_random_bits_in_crockford_base32() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes)


def test_a_code_is_shown_in_groups_of_four_and_read_back_as_typed() -> None:
    assert display_code("K7Q4M2XD9TPA3B6C") == "K7Q4-M2XD-9TPA-3B6C"
    assert normalise_code(" k7q4-m2xd 9tpa-3b6c ") == "K7Q4M2XD9TPA3B6C"


def test_letters_that_look_like_digits_are_read_as_the_digits() -> None:
    assert normalise_code("K7Q4-M2XD-9TPA-OBIC") == "K7Q4M2XD9TPA0B1C"


@pytest.mark.parametrize(
    "typed", ["", "K7Q4-M2XD-9TPA", "K7Q4-M2XD-9TPA-3B6CX", "K7Q4-M2XD-9TPA-3B6U"]
)
def test_a_malformed_code_is_refused(typed: str) -> None:
    assert normalise_code(typed) is None


def test_the_issued_document_and_its_exact_file_are_genuine() -> None:
    document = issued()
    assert document.check(key=KEY) == "genuine"
    assert document.check(key=KEY, file=FILE) == "genuine"


def test_a_file_changed_by_one_byte_is_not_the_one_issued() -> None:
    changed = FILE.replace(b"84,00", b"34,00")
    assert issued().check(key=KEY, file=changed) == "file_differs"


def test_a_record_whose_content_was_altered_is_tampered() -> None:
    document = issued()
    altered = replace(
        document, content={**CONTENT, "totals": {"invoiced": "8.40", "paid": "80.00"}}
    )
    assert altered.check(key=KEY) == "tampered"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subscriber_code", "0104410204"),
        ("issued_at", datetime(2026, 11, 26, 10, 0, tzinfo=UTC) - timedelta(days=30)),
        ("file_sha256", "0" * 64),
        ("content_sha256", "0" * 64),
        ("kind", "csv"),
    ],
)
def test_a_record_altered_in_any_sealed_field_is_tampered(field: str, value: object) -> None:
    assert replace(issued(), **{field: value}).check(key=KEY) == "tampered"


def test_a_record_sealed_under_another_key_does_not_verify() -> None:
    assert issued(key=b"someone-else's-key").check(key=KEY) == "tampered"


def test_a_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issued(issued_at=datetime(2026, 11, 26, 10, 0))  # noqa: DTZ001 -- the point of the test
