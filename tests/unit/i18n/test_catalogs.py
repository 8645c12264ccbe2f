"""The gettext catalogs: complete in every language, placeholders kept, read at run time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from waterbill.i18n import LOCALES
from waterbill.i18n.catalogs import negotiate, po_path, translations
from waterbill.i18n.messages import ERROR_MESSAGES, error_message

SOURCE = Path(__file__).resolve().parents[3] / "src" / "waterbill"
# A named placeholder: ``%(value)r`` in English may read ``«%(value)s»`` in another language.
PLACEHOLDER = re.compile(r"%\((\w+)\)[rs]")
AZERBAIJANI_LETTERS = set("əğıöüçşİƏĞÖÜÇŞ")


def _extracted() -> set[str]:
    """Every message `make messages` extracts, by the same mapping (i18n/babel.cfg)."""
    with (SOURCE / "i18n" / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found = extract_from_dir(str(SOURCE), method_map=method_map, options_map=options_map)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_the_code_and_templates_is_translated(locale: str) -> None:
    with po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    translated = {message.id: message.string for message in catalog if message.id}
    missing = sorted(message for message in _extracted() if not translated.get(message))
    assert missing == []
    for message_id, text in translated.items():
        assert sorted(PLACEHOLDER.findall(message_id)) == sorted(PLACEHOLDER.findall(text))


def test_the_azerbaijani_catalog_uses_azerbaijani_letters() -> None:
    texts = [translations("az").gettext(message) for message in ERROR_MESSAGES.values()]
    assert all(text not in ERROR_MESSAGES.values() for text in texts)
    assert AZERBAIJANI_LETTERS & set("".join(texts))


@pytest.mark.parametrize(
    "code",
    [
        "malformed_code",
        "unknown_code",
        "not_household",
        "unauthenticated",
        "forbidden",
        "not_found",
        "validation_error",
        "rate_limited",
        "database_unavailable",
        "maintenance",
    ],
)
def test_every_error_code_has_a_message_in_each_language(code: str) -> None:
    params = {"code": "0104410203", "min_length": 6, "max_length": 13}
    messages = {locale: error_message(code, params, locale) for locale in LOCALES}
    assert len(set(messages.values())) == 3
    assert all("%(" not in message for message in messages.values())


def test_a_malformed_code_message_says_what_is_wrong() -> None:
    params = {"reason": "length", "min_length": 6, "max_length": 13}
    assert error_message("malformed_code", params, "az") == (
        "Abonent kodu 6-13 rəqəmdən ibarətdir. Hesab-fakturanızdakı kodu yoxlayın."
    )


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        ("en", "ru", "ru", "en"),
        (None, "ru", "en", "ru"),
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "de-DE,ru;q=0.3,en;q=0.2", "ru"),
        (None, None, "fr", "az"),
        (None, None, None, "az"),
        ("xx", None, "ru", "ru"),
    ],
)
def test_the_language_is_the_query_then_the_cookie_then_accept_language(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate(query, cookie, accept_language=header) == expected
