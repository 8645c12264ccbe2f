"""Reading feed files: the delimiter, the BOM, line numbers across quoted line breaks."""

from __future__ import annotations

import gzip
from pathlib import Path

from waterbill.ingest.formats import Feed, RejectWriter

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


def test_plain_rows_give_the_same_lines_and_cells_as_the_csv_reader(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    text = (
        HEADER
        + '\r\nP1;1;2;3;4;\r\n"P\r\n\r\n2";1;2;3;4;\r\n\r\n  \r\nP3;1;2;3\r\nP4;"a;b";2;3;4;\r\n'
        + 'P5;1;2;"3"x;4;\r\nP6;1;2;3;4;5\r\n'
    )
    path.write_bytes(text.encode())
    with Feed(path, COLUMNS) as feed:
        expected = [(r.line, list(r.raw), r.problem is None) for r in feed.records()]
    with Feed(path, COLUMNS) as feed:
        rows = [
            (row[0], row[1].split(";"), True)
            if isinstance(row, tuple)
            else (row.line, list(row.raw), row.problem is None)
            for row in feed.plain_rows()
        ]
    assert rows == expected
    assert [line for line, _raw, _ok in rows] == [2, 3, 8, 9, 10, 11]
