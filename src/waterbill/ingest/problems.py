"""What the rules find wrong in a row, and how it reads in each language.

A finding holds the English msgid and its values only; its texts are the catalogs' (``texts.py``),
read where the finding is shown: the import report and reject file carry Azerbaijani and English,
the payment API the language the channel asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from waterbill.ingest.texts import Params, bilingual, message_in


@dataclass(frozen=True, slots=True)
class Finding:
    """A stable code, the column it is about, and the message: a msgid and its values."""

    code: str
    column: str
    msgid: str
    params: Params = ()

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
