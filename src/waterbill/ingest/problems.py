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


@dataclass(frozen=True, slots=True)
class Finding:
    """A stable code, the column it is about, and the message: a msgid and its values."""

    code: str
    column: str
    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    def params_in(self, locale: str) -> dict[str, object]:
        """The values to put in the message in ``locale``: amounts read as money there."""
        return {
            name: format_money(value, locale) if isinstance(value, Decimal) else value
            for name, value in self.params
        }

    def message(self, locale: str) -> str:
        text = gettext_for(locale, self.msgid)
        return text % self.params_in(locale) if self.params else text

    def text(self) -> str:
        """The column and the message in Azerbaijani and English, as the import reports it."""
        return f"{self.column}: {self.message('az')} / {self.message('en')}"


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
