"""Reading the billing feeds: CSV in its usual dialects and JSON Lines, gzip or plain, streamed.

A record is the row's values by column name (an empty cell is ``None``), the physical line it
starts on, and the raw row so that a rejected row can be written back exactly as it came.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any, Literal, cast

Format = Literal["csv", "jsonl"]
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
_DELIMITERS = (",", ";")


class FeedError(Exception):
    """The file as a whole cannot be read: the message says why, in Azerbaijani and English."""

    def __init__(self, az: str, en: str) -> None:
        super().__init__(f"{az} / {en}")
        self.az = az
        self.en = en


PlainRow = tuple[int, str]


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    values: dict[str, str | None]
    raw: Sequence[str] | str
    problem: tuple[str, str] | None = None  # (az, en) when the line itself could not be read


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _feed_format(path: Path) -> Format:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return "jsonl" if suffixes and suffixes[-1] in _JSONL_SUFFIXES else "csv"


class Feed:
    """An open feed file: ``columns`` from its header, then ``records()`` once, streaming."""

    def __init__(self, path: Path, expected: Sequence[str]) -> None:
        self.path = path
        self.format: Format = _feed_format(path)
        self._binary: IO[bytes] = path.open("rb")
        stream: IO[bytes] = self._binary
        if _is_gzip(path):
            stream = cast(IO[bytes], gzip.GzipFile(fileobj=self._binary))
        # utf-8-sig drops a BOM when there is one; newline="" lets csv see quoted CR LF intact.
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        self.delimiter = ","
        self.columns: list[str] = []
        try:
            if self.format == "csv":
                self._open_csv(expected)
            else:
                self.columns = list(expected)
        except UnicodeDecodeError:
            self.close()
            raise FeedError("fayl UTF-8 kodlaşmasında deyil", "the file is not UTF-8") from None

    def _open_csv(self, expected: Sequence[str]) -> None:
        header_line = self._text.readline()
        if not header_line.strip():
            raise FeedError("faylda başlıq sətri yoxdur", "the file has no header row")
        # The delimiter is the one that splits the header into the most known column names.
        known = set(expected)
        self.delimiter = max(
            _DELIMITERS,
            key=lambda d: sum(name.strip() in known for name in header_line.split(d)),
        )
        header = next(csv.reader([header_line.rstrip("\r\n")], delimiter=self.delimiter))
        self.columns = [name.strip() for name in header]

    @property
    def bytes_read(self) -> int:
        return self._binary.tell()

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def records(self) -> Iterator[Record]:
        yield from self._reading(
            self._csv_records() if self.format == "csv" else self._jsonl_records()
        )

    def plain_rows(self) -> Iterator[PlainRow | Record]:
        """CSV rows as ``(line, text)`` where a line is a whole row with no quote to undo and the
        header's width, so it can go to PostgreSQL's COPY as it is; a ``Record`` otherwise."""
        assert self.format == "csv"
        yield from self._reading(self._plain_rows())

    def _reading(self, rows: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from rows
        except UnicodeDecodeError:
            raise FeedError("fayl UTF-8 kodlaşmasında deyil", "the file is not UTF-8") from None
        except (EOFError, gzip.BadGzipFile, OSError) as error:
            raise FeedError(
                f"fayl oxuna bilmir: {error}", f"the file cannot be read: {error}"
            ) from None

    def _csv_records(self, reader: Any = None, last_line: int = 1) -> Iterator[Record]:
        # The header was read separately, so the reader's own count starts one line short.
        if reader is None:
            reader = csv.reader(self._text, delimiter=self.delimiter, strict=True)
        offset = last_line - 1
        columns = self.columns
        width = len(columns)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                line = last_line + 1
                last_line = reader.line_num + offset + 1
                yield Record(
                    line,
                    {},
                    "",
                    (f"CSV sətri düzgün deyil: {error}", f"malformed CSV line: {error}"),
                )
                continue
            line = last_line + 1
            last_line = reader.line_num + offset + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                yield Record(
                    line,
                    {},
                    row,
                    (
                        f"{width} sütun gözlənilirdi, {len(row)} var",
                        f"expected {width} columns, found {len(row)}",
                    ),
                )
                continue
            yield Record(
                line, {c: (v if v != "" else None) for c, v in zip(columns, row, strict=True)}, row
            )

    def _plain_rows(self) -> Iterator[PlainRow | Record]:
        delimiter = self.delimiter
        separators = len(self.columns) - 1
        lines = iter(self._text)
        line = 1
        for text in lines:
            line += 1
            row = text.rstrip("\r\n")
            if row.count(delimiter) == separators and '"' not in row and "\0" not in row:
                yield line, row
                continue
            # Quotes, a wrong width, a blank line: the csv module reads exactly this one row,
            # pulling the further lines of a quoted newline from the same stream.
            reader = csv.reader(chain([text], lines), delimiter=delimiter, strict=True)
            for record in self._csv_records(reader, line - 1):
                yield record
                break
            line += reader.line_num - 1

    def _jsonl_records(self) -> Iterator[Record]:
        for line_no, text in enumerate(self._text, start=1):
            if not text.strip():
                continue
            raw = text.rstrip("\r\n")
            try:
                # Numbers stay text so that amounts reach Decimal without passing through float.
                obj = json.loads(raw, parse_float=str, parse_int=str)
            except json.JSONDecodeError as error:
                yield Record(
                    line_no,
                    {},
                    raw,
                    (f"JSON sətri düzgün deyil: {error.msg}", f"malformed JSON: {error.msg}"),
                )
                continue
            if not isinstance(obj, dict):
                yield Record(
                    line_no, {}, raw, ("sətir JSON obyekti deyil", "the line is not a JSON object")
                )
                continue
            yield Record(line_no, {str(k): _json_text(v) for k, v in obj.items()}, raw)

    def close(self) -> None:
        self._text.close()
        self._binary.close()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class RejectWriter:
    """Rejected rows in the input's own format, with one more column: ``error``."""

    def __init__(self, path: Path, feed: Feed) -> None:
        self.path = path
        self.format = feed.format
        self.delimiter = feed.delimiter
        self.columns = feed.columns
        self._handle: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        opener: Any = gzip.open if self.path.suffix == ".gz" else open
        self._handle = opener(self.path, "wt", encoding="utf-8", newline="")
        if self.format == "csv":
            self._writer = csv.writer(self._handle, delimiter=self.delimiter, lineterminator="\n")
            self._writer.writerow([*self.columns, "error"])

    def write(self, raw: Sequence[str] | str, message: str) -> None:
        if self._handle is None:
            self._open()
        assert self._handle is not None
        self.count += 1
        if self.format == "csv":
            self._writer.writerow([*(raw if isinstance(raw, list | tuple) else [raw]), message])
            return
        try:
            obj = json.loads(raw) if isinstance(raw, str) else None
        except json.JSONDecodeError:
            obj = None
        out = dict(obj) if isinstance(obj, dict) else {"line": raw}
        out["error"] = message
        self._handle.write(json.dumps(out, ensure_ascii=False) + "\n")

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
