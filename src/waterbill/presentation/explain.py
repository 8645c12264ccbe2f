"""Why a month's bill is what it is, as plain facts: no wording, no framework.

Each month gets a few notes (``Note``); ``waterbill.presentation.view`` puts them in words in the
reader's language. The rules follow what a household asks when a bill surprises it: did we use
more water, did the price change, was the month recalculated, was it guessed without a reading,
and is this month so far above our usual that a pipe may be leaking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median
from typing import Literal

from waterbill.billing.domain import SERVICES, Service
from waterbill.calendar import YearMonth
from waterbill.statement.domain import InvoiceLine, MonthLine, Statement

NoteKind = Literal[
    "not_billed",
    "first_billed",
    "amount_up",
    "amount_down",
    "amount_same",
    "consumption_up",
    "consumption_down",
    "tariff_changed",
    "service_added",
    "service_removed",
    "recalculated",
    "estimated",
    "norm",
    "after_estimate",
    "possible_leak",
]

# A month is "far above" the usual when it is at least this many times the 12-month median and
# the excess is large enough to matter (a household of four uses 10-20 m³ a month; a running
# toilet cistern wastes about 5 m³ more).
LEAK_RATIO = Decimal("1.5")
LEAK_MIN_EXCESS_M3 = Decimal("5")
# Fewer billed months than this make the median a poor picture of the household's usual.
LEAK_MIN_MONTHS = 4


@dataclass(frozen=True, slots=True)
class Note:
    kind: NoteKind
    values: dict[str, Decimal | YearMonth | str] = field(default_factory=dict)

    @property
    def is_warning(self) -> bool:
        return self.kind == "possible_leak"


def metered_m3(month: MonthLine) -> Decimal | None:
    """The month's water volume: the water line, or the wastewater line when there is no water.

    The statement's ``consumption_m3`` adds both services, which counts the same water twice;
    a household thinks of the water it used.
    """
    line = month.water or month.wastewater
    return line.consumption_m3 if line is not None else None


def usual_m3(statement: Statement) -> Decimal | None:
    """The median monthly volume of the billed months, or None when too few are billed."""
    volumes = [volume for volume in map(metered_m3, statement.months) if volume is not None]
    if len(volumes) < LEAK_MIN_MONTHS:
        return None
    return Decimal(median(volumes))


def explain(statement: Statement) -> tuple[tuple[Note, ...], ...]:
    """One tuple of notes per month of the statement, in the same order."""
    usual = usual_m3(statement)
    notes: list[tuple[Note, ...]] = []
    previous: MonthLine | None = None
    for month in statement.months:
        notes.append(tuple(_month_notes(month, previous, usual)))
        if month.billed:
            previous = month
    return tuple(notes)


def _month_notes(month: MonthLine, previous: MonthLine | None, usual: Decimal | None) -> list[Note]:
    if not month.billed:
        return [Note("not_billed")]
    notes: list[Note] = []
    if previous is None:
        notes.append(Note("first_billed"))
    else:
        notes.extend(_change_notes(month, previous))
    if month.recalculated and month.amount_before_recalculation is not None:
        notes.append(
            Note(
                "recalculated",
                {"before": month.amount_before_recalculation, "after": month.invoiced},
            )
        )
    bases = {line.basis for line in month.lines}
    if "estimate" in bases:
        notes.append(Note("estimated"))
    if "norm" in bases:
        notes.append(Note("norm"))
    leak = _leak(month, usual)
    if leak is not None:
        notes.append(leak)
    return notes


def _change_notes(month: MonthLine, previous: MonthLine) -> list[Note]:
    delta = month.invoiced - previous.invoiced
    if delta > 0:
        notes = [Note("amount_up", {"delta": delta, "previous": previous.period})]
    elif delta < 0:
        notes = [Note("amount_down", {"delta": -delta, "previous": previous.period})]
    else:
        notes = [Note("amount_same", {"previous": previous.period})]

    before, after = metered_m3(previous), metered_m3(month)
    if before is not None and after is not None and before != after:
        kind: NoteKind = "consumption_up" if after > before else "consumption_down"
        notes.append(Note(kind, {"before": before, "after": after}))

    for service in SERVICES:
        old, new = _line(previous, service), _line(month, service)
        if old is None and new is not None:
            notes.append(Note("service_added", {"service": service}))
        elif old is not None and new is None:
            notes.append(Note("service_removed", {"service": service}))
        elif old is not None and new is not None and old.tariff != new.tariff:
            notes.append(
                Note(
                    "tariff_changed",
                    {"service": service, "before": old.tariff, "after": new.tariff},
                )
            )

    if previous.estimated and not month.estimated:
        notes.append(Note("after_estimate"))
    return notes


def _line(month: MonthLine, service: Service) -> InvoiceLine | None:
    return month.water if service == "water" else month.wastewater


def _leak(month: MonthLine, usual: Decimal | None) -> Note | None:
    volume = metered_m3(month)
    if usual is None or volume is None or usual <= 0:
        return None
    # Only a meter reading can reveal a leak; a norm or an estimate is not what flowed.
    if any(line.basis != "meter" for line in month.lines):
        return None
    if volume < usual * LEAK_RATIO or volume - usual < LEAK_MIN_EXCESS_M3:
        return None
    ratio = (volume / usual).quantize(Decimal("0.1"))
    return Note("possible_leak", {"volume": volume, "usual": usual, "ratio": ratio})
