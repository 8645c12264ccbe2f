"""Reading feed files: the delimiter, the BOM, line numbers across quoted line breaks."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories.feeds import DAMAGES, cut_gzip, damage_gzip
from waterbill.ingest.formats import Feed, FeedError, RejectWriter

COLUMNS = ("payment_id", "subscriber_code", "paid_at", "amount", "channel", "reverses")
HEADER = "payment_id;subscriber_code;paid_at;amount;channel;reverses"


def test_the_delimiter_is_the_one_that_splits_the_header_into_known_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(
        ("\ufeff" + HEADER + '\r\n"P,1";0104410203;2026-10-05T10:00;"7,00";bank;\r\n').encode()
    )
    with Feed(path, COLUMNS) as feed:
        records = list(feed.records())
    assert (feed.delimiter, feed.columns[0]) == (";", "payment_id")
    assert records[0].values["payment_id"] == "P,1"
    assert records[0].values["amount"] == "7,00"
    assert records[0].values["reverses"] is None


def test_line_numbers_count_physical_lines_through_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "p.csv.gz"
    text = HEADER + '\n"P\n\n1";1;2;3;4;\n\nP2;1;2;3;4;\n'
    path.write_bytes(gzip.compress(text.encode()))
    with Feed(path, COLUMNS) as feed:
        lines = [(record.line, record.values["payment_id"]) for record in feed.records()]
    assert lines == [(2, "P\n\n1"), (6, "P2")]


def test_json_lines_keep_numbers_as_exact_text(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"amount": 0.1, "payment_id": 17, "reverses": null}\n\n[1]\n{bad\n')
    with Feed(path, COLUMNS) as feed:
        records = list(feed.records())
    assert records[0].values == {"amount": "0.1", "payment_id": "17", "reverses": None}
    assert [(r.line, r.problem is not None) for r in records] == [(1, False), (3, True), (4, True)]


def test_a_reject_file_keeps_the_input_format_and_adds_an_error_column(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text(HEADER + "\nP1;1;2;3;4;\n")
    with Feed(source, COLUMNS) as feed:
        record = next(iter(feed.records()))
        writer = RejectWriter(tmp_path / "rejects.csv", feed)
        writer.write(record.raw, "sətir 2: amount: ...")
        writer.close()
    assert (tmp_path / "rejects.csv").read_text().splitlines() == [
        HEADER + ";error",
        "P1;1;2;3;4;;sətir 2: amount: ...",
    ]


def _rows_in_chunks(path: Path, size: int, give_back_every: int = 0) -> list[tuple[Any, ...]]:
    """Every row as chunks of ``size`` rows deliver it; with ``give_back_every``, each chunk
    gives back its lines from its n-th row on, as a batch that ends early does."""
    rows: list[tuple[Any, ...]] = []
    with Feed(path, COLUMNS) as feed:
        chunks = feed.chunks()
        while (chunk := chunks.read(size)) is not None:
            lines = (
                [chunk.first_line + index for index in range(chunk.rows)]
                if chunk.records is None
                else [record.line for record in chunk.records]
            )
            if give_back_every and len(lines) > give_back_every:
                chunks.give_back(chunk, lines[give_back_every])
                lines = lines[:give_back_every]
            for line in lines:
                problem = next(
                    (r.problem for r in chunk.records or () if r.line == line and r.problem), None
                )
                rows.append((line, list(chunk.raw(line)), problem is None))
    return rows


MIXED = (
    HEADER
    + '\r\nP1;1;2;3;4;\r\n"P\r\n\r\n2";1;2;3;4;\r\n\r\n  \r\nP3;1;2;3\r\nP4;"a;b";2;3;4;\r\n'
    + 'P5;1;2;"3"x;4;\r\nP6;1;2;3;4;5\r\nP7;"";2;3;4;""\r\nP8;1;2;3;4;\rP9;1;2;3;4;\r\n'
    + "P10;1;2;3;4;\r\nP11;1;2;3;4;"
)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("give_back_every", [0, 1, 2])
def test_chunks_give_the_same_lines_and_cells_as_the_csv_reader(
    tmp_path: Path, size: int, give_back_every: int
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(MIXED.encode())
    with Feed(path, COLUMNS) as feed:
        expected = [(r.line, list(r.raw), r.problem is None) for r in feed.records()]
    assert _rows_in_chunks(path, size, give_back_every) == expected
    assert [line for line, _raw, _ok in expected] == [2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16]


def test_a_chunk_of_plain_lines_goes_to_copy_as_it_is_with_empty_quoted_cells_empty(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes((HEADER + '\r\nP1;"";2;3\\4;a\tb;""\r\n"";1;2;3;4;5').encode())
    with Feed(path, COLUMNS) as feed:
        chunk = feed.chunks().read(10)
    assert chunk is not None
    assert chunk.records is None
    assert chunk.copy_text == b"P1\t\t2\t3\\\\4\ta\\tb\t\n\t1\t2\t3\t4\t5"


def test_a_chunk_with_quoted_cells_on_single_lines_still_goes_to_copy_cell_by_cell(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(
        (HEADER + '\nP1;"a;b";2;3;4;\nP2;1;2;"x\tz";4;\nP3;"q;"";";2;"";4;\n').encode()
    )
    with Feed(path, COLUMNS) as feed:
        chunk = feed.chunks().read(10)
    assert chunk is not None
    assert chunk.records is None
    assert chunk.copy_text == (b'P1\ta;b\t2\t3\t4\t\nP2\t1\t2\tx\\tz\t4\t\nP3\tq;";\t2\t\t4\t\n')


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("name", ["p.csv.gz", "p.jsonl.gz"])
def test_a_gzip_file_damaged_before_its_first_line_is_unreadable_from_line_1(
    tmp_path: Path, damage: str, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress((HEADER + "\nP1;1;2;3;4;\n").encode()))
    damage_gzip(path, damage)
    with pytest.raises(FeedError) as raised, Feed(path, COLUMNS) as feed:
        list(feed.records())
    assert str(raised.value) == (
        "fayl zədələnib və ya natamamdır: sətir 1 və ondan sonrakılar oxunmur / "
        "the file is damaged or incomplete: line 1 and those after it cannot be read"
    )


# The row of line 5 goes on over line 6; line 8 is the last.
BROKEN_OFF = (
    HEADER + '\nP1;1;2;3;4;\nP2;1;2;3;4;\nP3;1;2;3;4;\n"P\n4";1;2;3;4;\nP5;1;2;3;4;\nP6;1;2;3;4;\n'
)


def _records_until_unreadable(path: Path) -> tuple[list[int], str]:
    lines: list[int] = []
    with pytest.raises(FeedError) as raised, Feed(path, COLUMNS) as feed:
        lines.extend(record.line for record in feed.records())
    return lines, str(raised.value)


def _chunks_until_unreadable(path: Path, size: int, give_back_every: int) -> tuple[list[int], str]:
    lines: list[int] = []
    with Feed(path, COLUMNS) as feed:
        chunks = feed.chunks()
        try:
            while (chunk := chunks.read(size)) is not None:
                read = (
                    [chunk.first_line + index for index in range(chunk.rows)]
                    if chunk.records is None
                    else [record.line for record in chunk.records]
                )
                if give_back_every and len(read) > give_back_every:
                    chunks.give_back(chunk, read[give_back_every])
                    read = read[:give_back_every]
                lines.extend(read)
        except FeedError as error:
            return lines, str(error)
    raise AssertionError("the chunks read past the break")


@pytest.mark.parametrize(
    ("cut", "rows", "unreadable"),
    [
        (4, [2, 3], 4),
        (5, [2, 3, 4], 5),
        (6, [2, 3, 4], 5),
        (7, [2, 3, 4, 5], 7),
        (8, [2, 3, 4, 5, 7], 8),
    ],
)
def test_a_gzip_file_cut_short_gives_its_whole_rows_then_the_line_it_breaks_at(
    tmp_path: Path, cut: int, rows: list[int], unreadable: int
) -> None:
    path = tmp_path / "p.csv.gz"
    path.write_bytes(gzip.compress(BROKEN_OFF.encode()))
    cut_gzip(path, cut)
    expected = f"sətir {unreadable} və ondan sonrakılar oxunmur"

    lines, message = _records_until_unreadable(path)
    assert lines == rows
    assert expected in message
    for size in (1, 2, 3, 100):
        for give_back_every in (0, 1, 2):
            assert _chunks_until_unreadable(path, size, give_back_every) == (lines, message)


def test_json_lines_cut_short_give_their_whole_lines_then_the_line_they_break_at(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(
        gzip.compress(b'{"payment_id": "P1"}\n\n{"payment_id": "P3"}\n{"payment_id": "P4"}\n')
    )
    cut_gzip(path, 4)
    lines, message = _records_until_unreadable(path)
    assert lines == [1, 3]
    assert "line 4 and those after it cannot be read" in message
