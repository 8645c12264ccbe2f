"""What the rules find wrong in a row, and how it reads in each language.

A finding holds the English msgid and its values only; the texts are the catalogs'
(``i18n/locales``), read where the finding is shown: the import report and reject file carry
Azerbaijani and English, the payment API the language the channel asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from waterbill.i18n.catalogs import gettext_for
from waterbill.i18n.formatting import format_money

Params = tuple[tuple[str, object], ...]


def message_in(locale: str, msgid: str, params: Params = ()) -> str:
    """The catalog's text of ``msgid`` in ``locale`` with its values put in."""
    text = gettext_for(locale, msgid)
    return text % _values_in(locale, params) if params else text


def bilingual(msgid: str, params: Params = ()) -> str:
    """Azerbaijani, then English: how the import's report and reject file word a message."""
    return f"{message_in('az', msgid, params)} / {message_in('en', msgid, params)}"


def _values_in(locale: str, params: Params) -> dict[str, object]:
    """The values as they read in ``locale``: amounts as money there."""
    return {
        name: format_money(value, locale) if isinstance(value, Decimal) else value
        for name, value in params
    }


@dataclass(frozen=True, slots=True)
class Finding:
    """A stable code, the column it is about, and the message: a msgid and its values."""

    code: str
    column: str
    msgid: str
    params: Params = ()

    def params_in(self, locale: str) -> dict[str, object]:
        return _values_in(locale, self.params)

    def message(self, locale: str) -> str:
        return message_in(locale, self.msgid, self.params)

    def text(self) -> str:
        return f"{self.column}: {bilingual(self.msgid, self.params)}"


@dataclass(frozen=True, slots=True)
class Problem(Finding):
    """Why a row or a field is refused."""


class Rejected(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(problem.text() for problem in problems))
        self.problems = tuple(problems)

    @property
    def first(self) -> Problem:
        return self.problems[0]
