"""The field parser: typed values out of a row of text, with a problem for each bad column.

Every message is an English msgid, its texts in the catalogs; a value the row holds is named in
it as ``%(value)r`` in English (quoted as Python quotes it) and in «» in Azerbaijani and Russian.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from waterbill.calendar import BAKU, YearMonth
from waterbill.errors import MalformedCode
from waterbill.i18n.marker import _
from waterbill.identifiers import FIN_PATTERN, CodeLength, parse_code
from waterbill.ingest.columns import (
    EARLIEST_DAY,
    EARLIEST_PERIOD,
    FALSE_TEXTS,
    INVOICE_NUMBERS,
    OPTIONAL,
    TRUE_TEXTS,
)
from waterbill.ingest.problems import Problem, Rejected

# The common shapes in one regular expression each; anything else takes the diagnosing path.
_PLAIN_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_PLAIN_DECIMAL = {
    (places, digits, negative): re.compile(
        rf"^{'-?' if negative else ''}[0-9]{{1,{digits}}}([.,][0-9]{{1,{places}}})?$"
    )
    for places, digits in ((2, 12), (3, 11), (4, 6))
    for negative in (False, True)
}

AT_MOST_CHARACTERS = _("at most %(length)s characters")
CODE_DIGITS = _("a subscriber code has %(low)s to %(high)s digits")


class Fields:
    """Reads typed values out of a row of text, collecting a problem per bad column."""

    def __init__(self, values: Mapping[str, str | None]) -> None:
        self.values = values
        self.problems: list[Problem] = []

    def fail(self, column: str, msgid: str, code: str = "invalid_value", **params: object) -> None:
        self.problems.append(Problem(code, column, msgid, tuple(params.items())))

    def raw(self, column: str) -> str | None:
        value = self.values.get(column)
        if value is None:
            if column not in OPTIONAL:
                self.fail(column, _("value is missing"), "missing_value")
            return None
        value = value.strip()
        if value == "" and column not in OPTIONAL:
            self.fail(column, _("value is missing"), "missing_value")
        return value or None

    def text(self, column: str, max_length: int) -> str | None:
        value = self.raw(column)
        if value is not None and len(value) > max_length:
            self.fail(column, AT_MOST_CHARACTERS, length=max_length)
            return None
        return value

    def decimal(
        self, column: str, *, places: int, integer_digits: int, negative: bool = False
    ) -> Decimal | None:
        value = self.raw(column)
        if value is None:
            return None
        if _PLAIN_DECIMAL[(places, integer_digits, negative)].match(value):
            return Decimal(value.replace(",", "."))
        number = parse_decimal(value)
        if number is None:
            self.fail(column, _("%(value)r is not a number"), value=value)
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            self.fail(column, _("at most %(places)s decimal places"), places=places)
            return None
        if not negative and number < 0:
            self.fail(column, _("must not be negative"))
            return None
        if abs(number) >= Decimal(10) ** integer_digits:
            self.fail(column, _("is too large"))
            return None
        return number

    def number(self, column: str) -> Decimal | None:
        places, integer_digits, negative = INVOICE_NUMBERS[column]
        return self.decimal(column, places=places, integer_digits=integer_digits, negative=negative)

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.raw(column)
        if value is None:
            return None
        if not value.isdigit():
            self.fail(column, _("%(value)r is not a whole number"), value=value)
            return None
        number = int(value)
        if not low <= number <= high:
            self.fail(column, _("must be %(low)s to %(high)s"), low=low, high=high)
            return None
        return number

    def boolean(self, column: str) -> bool | None:
        value = self.raw(column)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in TRUE_TEXTS:
            return True
        if lowered in FALSE_TEXTS:
            return False
        self.fail(column, _("%(value)r must be 1, 0, true or false"), value=value)
        return None

    def choice(self, column: str, allowed: Sequence[str]) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        if value not in allowed:
            options = ", ".join(allowed)
            self.fail(
                column, _("%(value)r is not one of %(options)s"), value=value, options=options
            )
            return None
        return value

    def day(self, column: str, today: date) -> date | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            day = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self.fail(column, _("%(value)r is not a YYYY-MM-DD date"), value=value)
            return None
        if not EARLIEST_DAY <= day <= today:
            self.fail(column, _("the date must be in the past (from 1950)"))
            return None
        return day

    def period(self, column: str, today: date) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        if _PLAIN_PERIOD.match(value) and str(EARLIEST_PERIOD) <= value <= str(YearMonth.of(today)):
            return value
        try:
            month = YearMonth.parse(value)
        except ValueError:
            self.fail(column, _("%(value)r is not a YYYY-MM month"), value=value)
            return None
        if not EARLIEST_PERIOD <= month <= YearMonth.of(today):
            self.fail(column, _("the period must be between 2000-01 and the current month"))
            return None
        return str(month)

    def code(self, column: str, code_length: CodeLength) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            return parse_code(value, code_length)
        except MalformedCode:
            low, high = code_length
            self.fail(column, CODE_DIGITS, low=low, high=high)
            return None

    def fin(self, column: str) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        fin = value.upper()
        if not FIN_PATTERN.match(fin):
            self.fail(column, _("a FIN has 7 characters: Latin capitals (no I or O) and digits"))
            return None
        return fin

    def instant(self, column: str) -> datetime | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            self.fail(column, _("%(value)r is not an ISO 8601 date-time"), value=value)
            return None
        # The contract: a time without an offset is Baku local time.
        return instant.replace(tzinfo=BAKU) if instant.tzinfo is None else instant

    def done(self) -> None:
        if self.problems:
            raise Rejected(self.problems)


def parse_decimal(text: str) -> Decimal | None:
    """``12.50`` or ``12,50``; no thousands separators, which would make ``1,234`` ambiguous."""
    candidate = text.strip()
    if "," in candidate:
        if "." in candidate or candidate.count(",") > 1:
            return None
        candidate = candidate.replace(",", ".")
    try:
        number = Decimal(candidate)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
