"""Demo rows as PostgreSQL COPY text, and the work of one generating process.

Pure: no database. It runs in the worker processes, so the process holding the connection only
streams bytes. Invoice and payment lines carry no id (the load numbers them with the tables'
sequences, see ``repository``); revisions stay rows until the ids before them are known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from waterbill.demo.generator import (
    DemoCitizen,
    DemoGenerator,
    DemoPlan,
    InvoiceRow,
    PaymentRow,
    RevisionRow,
    Shard,
    SubscriberRow,
)

_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_NULL = "\\N"
# COPY text escapes; the generator's words come from fixed lists, but a name is still text.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(slots=True)
class CopyText:
    """One shard as COPY text, ready to stream; revisions stay rows until their ids are known.

    ``counts`` are the shard's rows per table; ``citizens`` its demo citizens (the first shard's).
    """

    subscribers: bytes
    invoices: bytes
    payments: bytes
    revisions: list[RevisionRow]
    counts: dict[str, int]
    citizens: list[DemoCitizen]


class _Remembered(dict[Any, str]):
    """Value → its COPY text, remembered for the values that repeat (days, amounts, volumes).

    At most ``limit`` values are kept, so memory stays bounded whatever the data; the rest are
    formatted every time.
    """

    def __init__(self, format_value: Callable[[Any], str], limit: int = 100_000) -> None:
        super().__init__()
        self._format = format_value
        self._limit = limit

    def __missing__(self, value: Any) -> str:
        formatted = self._format(value)
        if len(self) < self._limit:
            self[value] = formatted
        return formatted


@cache
def _clock() -> tuple[str, ...]:
    """Every second of a day as ``HH:MM:SS`` (built on first use: 5 MB, 20 ms)."""
    return tuple(
        f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        for second in range(86_400)
    )


def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _instant(seconds: int) -> str:
    day, second = divmod(seconds, 86_400)
    return f"{_DAYS[day + _UNIX_EPOCH_ORDINAL]} {_clock()[second]}+00"


def _volume(litres: int | None) -> str:
    return _NULL if litres is None else f"{litres // 1000}.{litres % 1000:03d}"


def _money(qepik: int) -> str:
    sign = "-" if qepik < 0 else ""
    return f"{sign}{abs(qepik) // 100}.{abs(qepik) % 100:02d}"


def _tariff(ten_thousandths: int) -> str:
    return f"{ten_thousandths // 10_000}.{ten_thousandths % 10_000:04d}"


_DAYS = _Remembered(_day)
_VOLUMES = _Remembered(_volume)
_MONEY = _Remembered(_money)
_TARIFFS = _Remembered(_tariff)
_ISSUE_INSTANTS = _Remembered(_instant)  # invoices are stamped at 09:00 of a few days a month


def _text(value: str | None) -> str:
    return _NULL if value is None else value.translate(_ESCAPES)


def subscriber_lines(rows: list[SubscriberRow]) -> str:
    return "".join(
        f"{r[0]}\t{_text(r[1])}\t{_text(r[2])}\t{_text(r[3])}\t{_text(r[4])}\t{_text(r[5])}\t"
        f"{_text(r[6])}\t{_text(r[7])}\t{_text(r[8])}\t{_text(r[9])}\t{_text(r[10])}\t"
        f"{_text(r[11])}\t{r[12]}\t{'t' if r[13] else 'f'}\t{'t' if r[14] else 'f'}\t{r[15]}\t"
        f"{_text(r[16])}\t{r[17]}\t{r[18]}\t{r[19]}\t{_DAYS[r[20]]}\t{_instant(r[21])}\n"
        for r in rows
    )


def invoice_lines(rows: list[InvoiceRow]) -> str:
    """Without the id: the sequence numbers the rows (invoice numbers are digits and dashes)."""
    volumes, money, days, instants = _VOLUMES, _MONEY, _DAYS, _ISSUE_INSTANTS
    return "".join(
        f"{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{volumes[r[5]]}\t{volumes[r[6]]}\t{volumes[r[7]]}\t"
        f"{_TARIFFS[r[8]]}\t{money[r[9]]}\t{r[10]}\t{days[r[11]]}\t{instants[r[12]]}\n"
        for r in rows
    )


def revision_lines(rows: list[RevisionRow], revisions_before: int, invoices_before: int) -> str:
    return "".join(
        f"{r[0] + revisions_before}\t{r[1] + invoices_before}\t{r[2]}\t{_VOLUMES[r[3]]}\t"
        f"{_VOLUMES[r[4]]}\t{_VOLUMES[r[5]]}\t{_TARIFFS[r[6]]}\t{_MONEY[r[7]]}\t{r[8]}\t"
        f"{_DAYS[r[9]]}\t{_ISSUE_INSTANTS[r[10]]}\n"
        for r in rows
    )


def payment_lines(rows: list[PaymentRow]) -> str:
    """Without the id: the sequence numbers the rows (channels and payment ids are ASCII)."""
    return "".join(
        f"{r[1]}\t{r[2]}\t{r[3]}\t{_instant(r[4])}\t{_MONEY[r[5]]}\t{_text(r[6])}\t"
        f"{_instant(r[7])}\n"
        for r in rows
    )


def shard_copy_text(plan: DemoPlan, shard: Shard) -> CopyText:
    """Generate one shard and format it: the work of a worker process."""
    generator = DemoGenerator(plan, shard)
    chunk = generator.whole()
    return CopyText(
        subscribers=subscriber_lines(chunk.subscribers).encode(),
        invoices=invoice_lines(chunk.invoices).encode(),
        payments=payment_lines(chunk.payments).encode(),
        revisions=chunk.revisions,
        counts=generator.counts,
        citizens=generator.citizens,
    )
