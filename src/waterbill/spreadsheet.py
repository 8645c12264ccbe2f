"""CSV that a spreadsheet opens safely: every CSV the service writes goes through ``csv_writer``.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets, so a name from the billing feed such as
``=HYPERLINK("http://…","Click")`` would run when a citizen or an operator opens the file. As the
OWASP "CSV Injection" page recommends, such a cell is written with a leading apostrophe: the
spreadsheet shows it as text, and the value stays readable. A plain number (``-7,60``, a
reversal's ``-5.00``) is no formula and stays a number, so the columns still add up.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number with a decimal point or comma and grouping spaces: what our amounts look like.
_PLAIN_NUMBER = re.compile(r"[-+]?[0-9][0-9 \u00a0\u202f]*([.,][0-9]+)?")


def neutralise(value: object) -> object:
    """The cell as a spreadsheet may show it: text that would start a formula gets an apostrophe."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    return value if _PLAIN_NUMBER.fullmatch(value) else f"'{value}"


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class _SafeWriter:
    def __init__(self, writer: RowWriter) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])


def csv_writer(handle: Any, *, delimiter: str, lineterminator: str) -> RowWriter:
    """``csv.writer`` whose every cell goes through ``neutralise``."""
    return _SafeWriter(csv.writer(handle, delimiter=delimiter, lineterminator=lineterminator))
