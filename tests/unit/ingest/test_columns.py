"""The limits the SQL path of the import shares with the rules."""

from __future__ import annotations

from waterbill.identifiers import FIN_CHARACTERS, FIN_PATTERN
from waterbill.ingest.columns import STRIPPED_BEYOND_ASCII


def test_the_white_space_the_sql_path_looks_for_is_all_that_str_strip_removes() -> None:
    stripped = {code for code in range(0x110000) if chr(code).isspace()}
    assert {code for code in stripped if code > 32} == set(STRIPPED_BEYOND_ASCII)
    # The rest is what PostgreSQL's ascii() puts at 32 or below.
    assert all(code <= 32 for code in stripped - set(STRIPPED_BEYOND_ASCII))


def test_the_fin_characters_the_sql_path_accepts_are_those_of_the_fin_pattern() -> None:
    accepted = {c for c in map(chr, range(128)) if FIN_PATTERN.match(c * 7)}
    assert accepted == set(FIN_CHARACTERS)
