"""The two identifiers citizens type or carry: the subscriber code and the FIN."""

from __future__ import annotations

import re

# Latin capitals without I and O, and digits.
FIN_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
FIN_PATTERN = re.compile(rf"^[{FIN_CHARACTERS}]{{7}}$")
_CODE_SEPARATORS = re.compile(r"[\s\-]+")
_ASCII_DIGITS = re.compile(r"^[0-9]+$")


class MalformedCodeError(ValueError):
    """The text is not a subscriber code; ``reason`` says why, for a precise message."""

    def __init__(self, reason: str, *, min_length: int, max_length: int) -> None:
        super().__init__(reason)
        self.reason = reason  # "empty" | "not_digits" | "length"
        self.min_length = min_length
        self.max_length = max_length


def parse_subscriber_code(raw: str, *, min_length: int = 6, max_length: int = 13) -> str:
    """Digits only once spaces and hyphens are stripped, with leading zeros kept.

    Azərsu publishes no format; a bank front end accepts 1-13 characters: the range is configured.
    """
    code = _CODE_SEPARATORS.sub("", raw or "")
    if not code:
        raise MalformedCodeError("empty", min_length=min_length, max_length=max_length)
    if not _ASCII_DIGITS.match(code):
        raise MalformedCodeError("not_digits", min_length=min_length, max_length=max_length)
    if not min_length <= len(code) <= max_length:
        raise MalformedCodeError("length", min_length=min_length, max_length=max_length)
    return code


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
