"""The hash chain, as pure functions: how a row is hashed and how a sequence of rows is checked.

``row_hash = SHA-256(canonical(row) )`` where the canonical form is compact JSON of every field in a
fixed order, the previous row's hash included. Changing, removing or moving a row therefore breaks
the link at that row; the first broken link names it.

The log is several independent chains; ``seq`` is a row's position within its chain. Rows of chain
0 are hashed exactly as before the split (they include no chain number), so rows written then keep
their hashes; rows of every other chain also hash their chain number, so a row cannot be moved to
another chain unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

GENESIS_HASH = "0" * 64
# Bumped if the canonical form ever changes, so old rows stay verifiable by their own rules.
FORMAT_VERSION = 1
# The canonical form of chains other than 0: the chain number follows the version.
CHAINED_FORMAT_VERSION = 2
MAX_DETAILS_BYTES = 1024

Problem = Literal["changed", "deleted", "reordered", "inserted", "truncated"]


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    occurred_at: datetime
    tag: str
    actor: str | None
    subscriber_code: str | None
    channel: str
    auth_method: str | None
    result: str | None
    reason: str | None
    details: str
    prev_hash: str
    row_hash: str = ""
    chain: int = 0
    # The global row number (audit_events.id); not hashed, so chain 0's old rows keep their hashes.
    id: int | None = None


def canonical_details(details: Mapping[str, object] | None) -> str:
    """Flat, small, sorted JSON: details describe the event, never the person."""
    values = dict(details or {})
    for key, value in values.items():
        if not isinstance(value, str | int | bool | None):
            raise ValueError(f"audit detail {key!r} must be a plain value, not {type(value)}")
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if len(text.encode()) > MAX_DETAILS_BYTES:
        raise ValueError("audit details are limited to 1 KiB")
    return text


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class CanonicalForm:
    """The text a row's hash is taken of, split around the two values its chain's head supplies.

    The row's position and the previous hash are known only under the head's lock; PostgreSQL
    fills them in inside the append statement itself (``repository.append_on_head``), so the text
    around them is built here, once, for both ways of sealing.
    """

    before_seq: str
    between: str

    def text(self, *, seq: int, prev_hash: str) -> str:
        return f"{self.before_seq}{seq}{self.between}{json.dumps(prev_hash)}]"


def canonical_form(row: EventRow) -> CanonicalForm:
    version: list[object] = (
        [FORMAT_VERSION] if row.chain == 0 else [CHAINED_FORMAT_VERSION, row.chain]
    )
    fields = [
        _instant(row.occurred_at),
        row.tag,
        row.actor,
        row.subscriber_code,
        row.channel,
        row.auth_method,
        row.result,
        row.reason,
        row.details,
    ]
    # The JSON array [*version, seq, *fields, prev_hash], compact, cut at seq and at prev_hash.
    head = json.dumps(version, separators=(",", ":"))
    middle = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return CanonicalForm(before_seq=head[:-1] + ",", between="," + middle[1:-1] + ",")


def row_hash(row: EventRow) -> str:
    text = canonical_form(row).text(seq=row.seq, prev_hash=row.prev_hash)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where verification starts: after the pruned prefix, or at the genesis."""

    seq: int
    row_hash: str
    chain: int = 0


GENESIS = Anchor(seq=0, row_hash=GENESIS_HASH)


def genesis(chain: int) -> Anchor:
    return Anchor(seq=0, row_hash=GENESIS_HASH, chain=chain)


@dataclass(frozen=True, slots=True)
class Head:
    last_seq: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    rows_checked: int
    first_seq: int
    last_seq: int
    head_hash: str
    problem: Problem | None = None
    bad_seq: int | None = None
    detail: str = ""
    chain: int = 0
    # The global id of the row where the break shows, when that row exists (not for a deletion).
    bad_id: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        name = f"chain {self.chain}"
        if self.intact:
            if self.rows_checked == 0:
                return f"{name} intact: no rows kept after row {self.first_seq - 1}"
            return (
                f"{name} intact: {self.rows_checked} rows, {self.first_seq}..{self.last_seq}, "
                f"head {self.head_hash}"
            )
        where = f"row {self.bad_seq}" + (f" (id {self.bad_id})" if self.bad_id is not None else "")
        return f"{name} broken at {where}: {self.problem} ({self.detail})"


@dataclass(frozen=True, slots=True)
class LogReport:
    """Every chain's report; the log is intact when each chain is."""

    chains: tuple[ChainReport, ...]

    @property
    def intact(self) -> bool:
        return all(report.intact for report in self.chains)

    @property
    def first_broken(self) -> ChainReport | None:
        return next((report for report in self.chains if not report.intact), None)

    @property
    def rows_checked(self) -> int:
        return sum(report.rows_checked for report in self.chains)

    @property
    def problem(self) -> Problem | None:
        broken = self.first_broken
        return None if broken is None else broken.problem

    @property
    def chain(self) -> int | None:
        broken = self.first_broken
        return None if broken is None else broken.chain

    @property
    def bad_seq(self) -> int | None:
        broken = self.first_broken
        return None if broken is None else broken.bad_seq

    @property
    def bad_id(self) -> int | None:
        broken = self.first_broken
        return None if broken is None else broken.bad_id

    def of(self, chain: int) -> ChainReport:
        return next(report for report in self.chains if report.chain == chain)

    def describe(self) -> str:
        broken = self.first_broken
        if broken is not None:
            return broken.describe()
        if not self.chains:
            return "log intact: no rows"
        chains = f"{len(self.chains)} chain{'' if len(self.chains) == 1 else 's'}"
        return f"log intact: {self.rows_checked} rows in {chains}\n" + "\n".join(
            report.describe() for report in self.chains
        )


def verify_rows(
    rows: Iterable[EventRow],
    *,
    anchor: Anchor,
    head: Head | None,
    locate: Callable[[str], int | None],
) -> ChainReport:
    """Walk the rows in sequence order from ``anchor``; stop at the first broken link.

    ``locate(hash)`` returns the sequence number of the row stored with that hash, if any: it tells
    a row moved elsewhere in the chain ("reordered") from one whose content was edited ("changed").
    """
    expected_seq, expected_prev = anchor.seq + 1, anchor.row_hash
    checked = 0

    def broken(problem: Problem, seq: int, detail: str, row_id: int | None = None) -> ChainReport:
        return ChainReport(
            chain=anchor.chain,
            bad_id=row_id,
            rows_checked=checked,
            first_seq=anchor.seq + 1,
            last_seq=expected_seq - 1,
            head_hash=expected_prev,
            problem=problem,
            bad_seq=seq,
            detail=detail,
        )

    for row in rows:
        if row.seq < expected_seq:
            return broken(
                "changed", row.seq, "a row sits inside the pruned part of the chain", row.id
            )
        if row.seq > expected_seq:
            missing = (
                f"row {expected_seq} is missing"
                if row.seq == expected_seq + 1
                else f"rows {expected_seq}..{row.seq - 1} are missing"
            )
            return broken("deleted", expected_seq, missing)
        content_intact = row_hash(row) == row.row_hash
        linked = row.prev_hash == expected_prev
        if not (content_intact and linked):
            found = locate(row.prev_hash) if row.prev_hash != expected_prev else None
            if found is not None and found != expected_seq - 1:
                return broken("reordered", row.seq, f"it follows row {found} instead", row.id)
            if not content_intact:
                return broken("changed", row.seq, "its content no longer matches its hash", row.id)
            return broken(
                "changed",
                expected_seq - 1,
                f"its hash was rewritten, row {row.seq} no longer links",
            )
        expected_seq, expected_prev = row.seq + 1, row.row_hash
        checked += 1

    last_seq = expected_seq - 1
    if head is not None and head.last_seq > last_seq:
        missing = f"rows {last_seq + 1}..{head.last_seq} are missing at the end"
        return broken("truncated", last_seq + 1, missing)
    if head is not None and head.last_seq < last_seq:
        return broken("inserted", head.last_seq + 1, "the row lies beyond the chain head")
    if head is not None and head.last_seq == last_seq and head.last_hash != expected_prev:
        return broken("changed", last_seq, "the last row does not match the chain head")
    if head is None and last_seq > 0:
        return broken("truncated", last_seq, "the chain head is missing")
    return ChainReport(
        rows_checked=checked,
        first_seq=anchor.seq + 1,
        last_seq=last_seq,
        head_hash=expected_prev,
        chain=anchor.chain,
    )
