"""Subscriber codes and FINs as citizens type them."""

from __future__ import annotations

import pytest

from waterbill.errors import MalformedCode
from waterbill.identifiers import parse_code, parse_fin


@pytest.mark.parametrize(
    ("raw", "code"),
    [("0104410203", "0104410203"), (" 010-441 0203 ", "0104410203"), ("123456", "123456")],
)
def test_spaces_and_hyphens_are_stripped_and_leading_zeros_kept(raw: str, code: str) -> None:
    assert parse_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("12345a", "not_digits"),
        ("١٢٣٤٥٦", "not_digits"),
        ("12345", "length"),
        ("12345678901234", "length"),
        ("1' OR '1'='1", "not_digits"),
    ],
)
def test_anything_else_is_a_malformed_code_with_its_reason(raw: str, reason: str) -> None:
    with pytest.raises(MalformedCode) as caught:
        parse_code(raw)
    assert caught.value.params["reason"] == reason


def test_the_code_length_range_is_configurable() -> None:
    assert parse_code("123", (1, 13)) == "123"
    with pytest.raises(MalformedCode):
        parse_code("1234567", (6, 6))


@pytest.mark.parametrize("raw", ["5ZK3LRT", "5zk3lrt", " 94FMDDD "])
def test_a_fin_is_seven_latin_capitals_and_digits_lower_case_accepted(raw: str) -> None:
    assert parse_fin(raw) == raw.strip().upper()


@pytest.mark.parametrize(
    "raw", ["5ZK3LR", "5ZK3LRTT", "5ZK3LRI", "5ZK3LRO", "5ZK3LR-", "1234567890"]
)
def test_a_fin_with_i_or_o_or_the_wrong_length_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="FIN"):
        parse_fin(raw)
