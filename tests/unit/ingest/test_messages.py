"""The import's and the payment intake's messages: each one in the catalogs, in every language."""

from __future__ import annotations

import tokenize
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from waterbill.i18n import LOCALES
from waterbill.i18n.catalogs import po_path, translations

SOURCE = Path(__file__).resolve().parents[3] / "src" / "waterbill"
AZERBAIJANI_LETTERS = set("əğıöüçşİƏĞÖÜÇŞ")
# From Python 3.12 on, the text of an f-string is a token of its own.
TEXT_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _extracted(
    method_map: list[tuple[str, str]], options_map: dict[str, dict[str, str]]
) -> set[str]:
    found = extract_from_dir(str(SOURCE), method_map=method_map, options_map=options_map)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _ingest_messages() -> set[str]:
    return _extracted([("ingest/*.py", "python")], {})


def test_the_ingest_code_marks_its_messages() -> None:
    assert len(_ingest_messages()) > 30


def test_make_messages_extracts_every_message_of_the_ingest_code() -> None:
    with (SOURCE / "i18n" / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    assert _ingest_messages() <= _extracted(method_map, options_map)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_ingest_message_has_a_text_in_each_language(locale: str) -> None:
    with po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    texts = {message.id: message.string for message in catalog if message.id}
    missing = sorted(message for message in _ingest_messages() if not texts.get(message))
    assert missing == []
    if locale != "en":
        assert sorted(m for m in _ingest_messages() if texts[m] == m) == []


def test_the_ingest_messages_read_in_azerbaijani_and_russian_letters() -> None:
    azerbaijani = [translations("az").gettext(message) for message in _ingest_messages()]
    russian = [translations("ru").gettext(message) for message in _ingest_messages()]
    assert AZERBAIJANI_LETTERS & set("".join(azerbaijani))
    assert all(any("а" <= letter <= "я" for letter in text.lower()) for text in russian)


def test_no_azerbaijani_text_is_typed_in_the_ingest_code() -> None:
    typed = []
    for path in sorted((SOURCE / "ingest").glob("*.py")):
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                if token.type in TEXT_TOKENS and AZERBAIJANI_LETTERS & set(token.string):
                    typed.append(f"{path.name}:{token.start[0]}")
    assert typed == []
