"""The two identifiers citizens type or carry: the subscriber code and the FIN."""

from __future__ import annotations

import re

from waterbill.errors import MalformedCode

# Latin capitals without I and O, and digits.
FIN_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
FIN_PATTERN = re.compile(rf"^[{FIN_CHARACTERS}]{{7}}$")
_CODE_SEPARATORS = re.compile(r"[\s\-]+")
_ASCII_DIGITS = re.compile(r"^[0-9]+$")


CodeLength = tuple[int, int]
# Azərsu publishes no format; a bank front end accepts 1-13 characters. Deployments configure the
# range (WATERBILL_CODE_MIN_LENGTH / _MAX_LENGTH); this is its default.
DEFAULT_CODE_LENGTH: CodeLength = (6, 13)


def strip_separators(raw: str | None) -> str:
    """A code as typed or exported, without the spaces and hyphens people put in it."""
    return _CODE_SEPARATORS.sub("", raw or "")


def parse_code(raw: str | None, length: CodeLength = DEFAULT_CODE_LENGTH) -> str:
    """Digits only once spaces and hyphens are stripped, with leading zeros kept.

    Raises MalformedCode whose ``reason`` ("empty", "not_digits" or "length") picks the message.
    """
    low, high = length
    code = strip_separators(raw)
    if not code:
        raise MalformedCode(reason="empty", min_length=low, max_length=high)
    if not _ASCII_DIGITS.match(code):
        raise MalformedCode(reason="not_digits", min_length=low, max_length=high)
    if not low <= len(code) <= high:
        raise MalformedCode(reason="length", min_length=low, max_length=high)
    return code


def well_formed_code(raw: str | None, length: CodeLength = DEFAULT_CODE_LENGTH) -> str | None:
    """The code if ``raw`` is one, else None: only a well-formed code is ever logged."""
    try:
        return parse_code(raw, length)
    except MalformedCode:
        return None


def parse_fin(raw: str) -> str:
    """A FIN: 7 Latin capitals and digits without I and O; lower case is accepted."""
    fin = (raw or "").strip().upper()
    if not FIN_PATTERN.match(fin):
        raise ValueError("a FIN has 7 characters: Latin capital letters (no I or O) and digits")
    return fin


def is_fin(raw: str) -> bool:
    try:
        parse_fin(raw)
    except ValueError:
        return False
    return True
