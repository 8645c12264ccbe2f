"""Hostile input to the two parsers citizens type into: they accept exactly what they should."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waterbill.errors import MalformedCode
from waterbill.identifiers import (
    FIN_PATTERN,
    is_fin,
    parse_code,
    parse_fin,
)

FIN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SEPARATORS = st.sampled_from([" ", "-", "\t", "  ", " - "])
HOSTILE = st.sampled_from(
    ["'", '"', ";", "'--", "/*", "<script>", "%00", "\x00", "١", "０", "²", "OR 1=1", "${x}"]
)


@given(digits=st.text(alphabet="0123456789", min_size=6, max_size=13), data=st.data())
def test_a_code_of_digits_with_spaces_and_hyphens_parses_to_its_digits(
    digits: str, data: st.DataObject
) -> None:
    pieces = [
        digit + (data.draw(SEPARATORS) if data.draw(st.booleans()) else "") for digit in digits
    ]
    assert parse_code("".join(pieces)) == digits


@given(raw=st.text(max_size=60))
@settings(max_examples=400)
def test_any_text_either_parses_to_ascii_digits_in_range_or_is_refused_with_a_reason(
    raw: str,
) -> None:
    try:
        code = parse_code(raw)
    except MalformedCode as error:
        reason = error.params["reason"]
    else:
        assert set(code) <= set(string.digits)
        assert 6 <= len(code) <= 13
        return
    assert reason in {"empty", "not_digits", "length"}


@given(digits=st.text(alphabet="0123456789", min_size=6, max_size=12), hostile=HOSTILE)
def test_sql_and_markup_metacharacters_and_non_ascii_digits_never_pass_as_a_code(
    digits: str, hostile: str
) -> None:
    with pytest.raises(MalformedCode) as caught:
        parse_code(digits[:3] + hostile + digits[3:])
    assert caught.value.params["reason"] == "not_digits"


@given(
    length=st.integers(min_value=1, max_value=32),
    low=st.integers(min_value=1, max_value=32),
    high=st.integers(min_value=1, max_value=32),
)
def test_the_configured_length_range_is_honoured_exactly(length: int, low: int, high: int) -> None:
    code = "7" * length
    if low <= length <= high:
        assert parse_code(code, (low, high)) == code
    else:
        with pytest.raises(MalformedCode):
            parse_code(code, (low, high))


@given(fin=st.text(alphabet=FIN_ALPHABET, min_size=7, max_size=7), pad=st.sampled_from(["", " "]))
def test_every_well_formed_fin_parses_in_any_case_and_with_surrounding_spaces(
    fin: str, pad: str
) -> None:
    assert parse_fin(pad + fin.lower() + pad) == fin
    assert is_fin(fin)


@given(raw=st.text(max_size=20))
@settings(max_examples=400)
def test_any_text_is_either_a_seven_character_fin_or_refused(raw: str) -> None:
    try:
        fin = parse_fin(raw)
    except ValueError:
        assert not is_fin(raw)
        return
    assert FIN_PATTERN.match(fin)
    assert len(fin) == 7
    assert "I" not in fin
    assert "O" not in fin


@given(fin=st.text(alphabet=FIN_ALPHABET, min_size=6, max_size=6), letter=st.sampled_from("IOio"))
def test_a_fin_with_i_or_o_is_refused(fin: str, letter: str) -> None:
    assert not is_fin(fin + letter)
