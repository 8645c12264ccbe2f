"""The hash chain's rules, on plain values: every kind of tampering breaks a named link."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from waterbill import clock
from waterbill.audit.chain import (
    GENESIS,
    GENESIS_HASH,
    Anchor,
    ChainReport,
    EventRow,
    Head,
    canonical_details,
    canonical_form,
    row_hash,
    verify_rows,
)

START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def build_chain(length: int) -> list[EventRow]:
    rows: list[EventRow] = []
    previous = GENESIS_HASH
    for seq in range(1, length + 1):
        row = EventRow(
            seq=seq,
            occurred_at=START + timedelta(minutes=seq),
            tag="statement:view",
            actor=f"c_{seq:032x}",
            subscriber_code="0104410203",
            channel="web",
            auth_method="asan_imza",
            result="full",
            reason="holder",
            details=canonical_details({"role": "holder"}),
            prev_hash=previous,
        )
        row = replace(row, row_hash=row_hash(row))
        rows.append(row)
        previous = row.row_hash
    return rows


def verify(
    rows: list[EventRow], *, anchor: Anchor = GENESIS, head: Head | None = None
) -> ChainReport:
    by_hash = {row.row_hash: row.seq for row in rows}
    if head is None and rows:
        head = Head(last_seq=rows[-1].seq, last_hash=rows[-1].row_hash)
    return verify_rows(rows, anchor=anchor, head=head, locate=by_hash.get)


def test_an_untouched_chain_verifies() -> None:
    report = verify(build_chain(5))
    assert report.intact
    assert (report.rows_checked, report.first_seq, report.last_seq) == (5, 1, 5)


def test_the_hash_covers_every_field_and_the_previous_hash() -> None:
    row = build_chain(1)[0]
    for change in (
        {"seq": 2},
        {"occurred_at": row.occurred_at + timedelta(microseconds=1)},
        {"tag": "statement:viewed"},
        {"actor": "c_someone_else"},
        {"subscriber_code": "0104410204"},
        {"channel": "api"},
        {"auth_method": "password"},
        {"result": "masked"},
        {"reason": "not_holder"},
        {"details": "{}"},
        {"prev_hash": "1" * 64},
    ):
        assert row_hash(replace(row, **change)) != row.row_hash, change


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    row = build_chain(1)[0]
    baku = row.occurred_at.astimezone(clock.now().astimezone().tzinfo)
    assert row_hash(replace(row, occurred_at=baku)) == row.row_hash


def test_an_edited_row_is_named_as_changed() -> None:
    rows = build_chain(5)
    rows[2] = replace(rows[2], result="masked")
    report = verify(rows)
    assert (report.problem, report.bad_seq) == ("changed", 3)
    assert report.rows_checked == 2


def test_an_edited_row_whose_hash_was_recomputed_is_still_caught_at_its_successor() -> None:
    rows = build_chain(5)
    forged = replace(rows[2], actor="c_forged")
    rows[2] = replace(forged, row_hash=row_hash(forged))
    report = verify(rows)
    assert (report.problem, report.bad_seq) == ("changed", 3)


def test_a_deleted_row_is_named() -> None:
    rows = build_chain(5)
    del rows[1]
    report = verify(rows)
    assert (report.problem, report.bad_seq) == ("deleted", 2)


def test_two_swapped_rows_are_named_as_reordered() -> None:
    rows = build_chain(5)
    third, fourth = rows[2], rows[3]
    rows[2], rows[3] = replace(fourth, seq=3), replace(third, seq=4)
    report = verify(rows)
    assert (report.problem, report.bad_seq) == ("reordered", 3)
    assert "row 4" in report.detail


def test_rows_cut_off_the_end_are_caught_by_the_head() -> None:
    rows = build_chain(5)
    head = Head(last_seq=5, last_hash=rows[-1].row_hash)
    report = verify(rows[:3], head=head)
    assert (report.problem, report.bad_seq) == ("truncated", 4)


def test_a_row_appended_behind_the_head_is_caught() -> None:
    rows = build_chain(5)
    head = Head(last_seq=4, last_hash=rows[3].row_hash)
    report = verify(rows, head=head)
    assert (report.problem, report.bad_seq) == ("inserted", 5)


def test_verification_after_an_anchor_starts_from_its_hash() -> None:
    rows = build_chain(6)
    anchor = Anchor(seq=3, row_hash=rows[2].row_hash)
    assert verify(rows[3:], anchor=anchor).intact
    report = verify(rows[4:], anchor=anchor)
    assert (report.problem, report.bad_seq) == ("deleted", 4)


def test_details_are_small_flat_and_canonical() -> None:
    assert canonical_details({"b": 1, "a": "ə"}) == '{"a":"ə","b":1}'
    with pytest.raises(ValueError, match="plain value"):
        canonical_details({"nested": {"fin": "5ZK3LRT"}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="1 KiB"):
        canonical_details({"blob": "x" * 2000})


def test_chain_0_rows_hash_exactly_as_before_the_split_into_chains() -> None:
    row = build_chain(1)[0]
    fields = [
        1,
        1,
        "2026-11-26T08:01:00.000000+00:00",
        "statement:view",
        f"c_{1:032x}",
        "0104410203",
        "web",
        "asan_imza",
        "full",
        "holder",
        '{"role":"holder"}',
        GENESIS_HASH,
    ]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    assert row.row_hash == hashlib.sha256(text.encode()).hexdigest()
    assert row_hash(replace(row, id=99)) == row.row_hash


def test_a_row_of_another_chain_hashes_its_chain_number() -> None:
    row = build_chain(1)[0]
    assert len({row_hash(replace(row, chain=chain)) for chain in (0, 1, 2)}) == 3


def test_the_canonical_text_is_the_compact_json_array_of_every_hashed_field() -> None:
    # PostgreSQL seals a row in SQL from the two pieces around position and previous hash; the
    # pieces joined must be exactly the JSON array hashed here, non-ASCII and nulls included.
    row = replace(
        build_chain(1)[0],
        chain=7,
        seq=123456,
        actor=None,
        reason="şəxsi məlumat",
        details=canonical_details({"role": "İcazəli", "n": 3}),
        prev_hash="ab" * 32,
    )
    fields = [
        2,
        7,
        123456,
        "2026-11-26T08:01:00.000000+00:00",
        "statement:view",
        None,
        "0104410203",
        "web",
        "asan_imza",
        "full",
        "şəxsi məlumat",
        '{"n":3,"role":"İcazəli"}',
        "ab" * 32,
    ]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    assert canonical_form(row).text(seq=row.seq, prev_hash=row.prev_hash) == text
    assert row_hash(row) == hashlib.sha256(text.encode()).hexdigest()
