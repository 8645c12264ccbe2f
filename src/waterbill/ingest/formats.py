"""Reading the billing feeds: CSV in its usual dialects and JSON Lines, gzip or plain, streamed.

A record is the row's values by column name (an empty cell is ``None``), the physical line it
starts on, and the raw row so that a rejected row can be written back exactly as it came.

``CsvChunks`` reads a CSV feed for PostgreSQL's COPY instead: a run of lines that are rows as they
stand goes to the database as one block of bytes; only a block with quoting to undo, a blank or
a broken line is read row by row with the csv module, which is what decides in every case.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, Literal, cast

from waterbill.i18n.marker import _
from waterbill.ingest.problems import Problem
from waterbill.ingest.texts import bilingual
from waterbill.spreadsheet import csv_writer

Format = Literal["csv", "jsonl"]
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
_DELIMITERS = (",", ";")


class FeedError(Exception):
    """The file cannot be read, or not past a line: the message says why, in Azerbaijani and
    English."""

    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(bilingual(msgid, tuple(params.items())))
        self.msgid = msgid
        self.params = params


_NOT_UTF8 = _("the file is not UTF-8")
# What reading a damaged file raises: gzip data cut short (EOFError), not gzip after all or a
# wrong checksum (BadGzipFile, an OSError), compressed data that does not decompress (zlib.error).
_BROKEN = (EOFError, OSError, zlib.error)


def _unreadable_from(line: int) -> FeedError:
    """The file breaks off or is damaged at ``line``: no row from there on could be read."""
    return FeedError(
        _("the file is damaged or incomplete: line %(line)s and those after it cannot be read"),
        line=line,
    )


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    values: dict[str, str | None]
    raw: Sequence[str] | str
    problem: Problem | None = None  # when the line itself could not be read


def _malformed(msgid: str, **params: object) -> Problem:
    """A line the reader could not make a row of: the problem names no column."""
    return Problem("malformed_line", "*", msgid, tuple(params.items()))


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
        self._stream: IO[bytes] = self._binary
        if _is_gzip(path):
            self._stream = cast(IO[bytes], gzip.GzipFile(fileobj=self._binary))
        self._text: IO[str] | None = None
        self.delimiter = ","
        self.columns: list[str] = []
        # The last line read whole (the header's, or none yet): a file that breaks off is
        # unreadable from the line after it.
        self.lines_read = 0
        try:
            if self.format == "csv":
                self._open_csv(expected)
            else:
                self.columns = list(expected)
        except UnicodeDecodeError:
            self.close()
            raise FeedError(_NOT_UTF8) from None
        except _BROKEN:
            self.close()
            raise _unreadable_from(1) from None

    def _text_stream(self) -> IO[str]:
        """The rest of the file as text; the header, when there is one, is already read."""
        if self._text is None:
            # newline="" lets csv see quoted CR LF intact; utf-8-sig drops a leading BOM.
            encoding = "utf-8" if self.format == "csv" else "utf-8-sig"
            self._text = io.TextIOWrapper(self._stream, encoding=encoding, newline="")
        return self._text

    def _open_csv(self, expected: Sequence[str]) -> None:
        header_line = self._stream.readline().decode("utf-8-sig")
        if not header_line.strip():
            raise FeedError(_("the file has no header row"))
        # The delimiter is the one that splits the header into the most known column names.
        known = set(expected)
        self.delimiter = max(
            _DELIMITERS,
            key=lambda d: sum(name.strip() in known for name in header_line.split(d)),
        )
        header = next(csv.reader([header_line.rstrip("\r\n")], delimiter=self.delimiter))
        self.columns = [name.strip() for name in header]
        self.lines_read = 1

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

    def chunks(self) -> CsvChunks:
        """The CSV rows in blocks for COPY (``CsvChunks``), instead of ``records()``."""
        assert self.format == "csv"
        assert self._text is None
        return CsvChunks(self)

    def _reading(self, rows: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from rows
        except UnicodeDecodeError:
            raise FeedError(_NOT_UTF8) from None
        except _BROKEN:
            raise _unreadable_from(self.lines_read + 1) from None

    def _csv_records(self, reader: Any = None, last_line: int = 1) -> Iterator[Record]:
        # The header was read separately, so the reader's own count starts one line short.
        if reader is None:
            reader = csv.reader(self._text_stream(), delimiter=self.delimiter, strict=True)
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
                self.lines_read = last_line
                yield Record(
                    line, {}, "", _malformed(_("malformed CSV line: %(error)s"), error=str(error))
                )
                continue
            line = last_line + 1
            last_line = reader.line_num + offset + 1
            self.lines_read = last_line
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                yield Record(
                    line,
                    {},
                    row,
                    _malformed(
                        _("expected %(expected)s columns, found %(found)s"),
                        expected=width,
                        found=len(row),
                    ),
                )
                continue
            yield Record(
                line, {c: (v if v != "" else None) for c, v in zip(columns, row, strict=True)}, row
            )

    def _jsonl_records(self) -> Iterator[Record]:
        for line_no, text in enumerate(self._text_stream(), start=1):
            self.lines_read = line_no
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
                    _malformed(_("malformed JSON: %(error)s"), error=error.msg),
                )
                continue
            if not isinstance(obj, dict):
                yield Record(line_no, {}, raw, _malformed(_("the line is not a JSON object")))
                continue
            yield Record(line_no, {str(k): _json_text(v) for k, v in obj.items()}, raw)

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
        self._stream.close()
        self._binary.close()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive lines of a CSV feed, from ``first_line``, for one batch.

    When every line is one whole row, ``copy_text`` holds them in COPY's text format (tabs
    between cells, backslashes escaped) and ``records`` is None; otherwise ``records`` holds the
    rows as the csv module read them, problems included.
    """

    first_line: int
    lines: list[bytes]
    records: list[Record] | None
    delimiter: str
    copy_text: bytes = b""

    @property
    def rows(self) -> int:
        return len(self.lines) if self.records is None else len(self.records)

    def rows_before(self, line: int) -> int:
        if self.records is None:
            return line - self.first_line
        return sum(1 for record in self.records if record.line < line)

    def raw(self, line: int) -> Sequence[str] | str:
        """The cells of the row starting on ``line``, to write it back when it is rejected."""
        if self.records is None:
            text = self.lines[line - self.first_line].decode()
            return next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter))
        for record in self.records:
            if record.line == line:
                return record.raw
        raise KeyError(line)


def _text_format(data: bytes, delimiter: bytes) -> bytes:
    """Lines of cells with no quoting, in COPY's text format."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    if b"\t" in data:
        data = data.replace(b"\t", b"\\t")
    return data.replace(delimiter, b"\t")


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text_row(cells: Sequence[str]) -> bytes:
    """One row of cells the csv module read from one line, in COPY's text format."""
    row = "\t".join(cells)
    if "\\" in row or row.count("\t") != len(cells) - 1:
        row = "\t".join(cell.translate(_ESCAPES) for cell in cells)
    return (row + "\n").encode()


def _without_empty_quotes(data: bytes, delimiter: bytes) -> bytes:
    """``""`` standing alone as a cell is an empty cell: what COPY … TO (FORMAT csv) writes."""
    if b'""' not in data:
        return data
    d = delimiter
    # Replaced as literals (a regular expression is ten times slower here); twice, since
    # ``,"","",`` holds two that share a delimiter.
    for _pass in range(2):
        data = data.replace(d + b'""' + d, d + d)
    data = data.replace(b'\n""' + d, b"\n" + d).replace(d + b'""\r\n', d + b"\r\n")
    data = data.replace(d + b'""\n', d + b"\n")
    if data.startswith(b'""' + d):
        data = data[2:]
    if data.endswith(d + b'""'):
        data = data[:-2]
    return data


class CsvChunks:
    """The data lines of a CSV feed in batches, with lines given back when a batch ends early.

    Lines are counted as the csv module counts them (LF, CR LF or a lone CR ends one), so the
    line numbers are those of ``Feed.records()``; a file that breaks off gives its rows up to
    there, then the FeedError that ``Feed.records()`` raises.
    """

    def __init__(self, feed: Feed) -> None:
        self._feed = feed
        self._delimiter = feed.delimiter
        self._separators = len(feed.columns) - 1
        self._broken: BaseException | None = None
        self._lines = self._whole_lines()
        self._back: list[bytes] = []
        self.next_line = 2

    def _whole_lines(self) -> Iterator[bytes]:
        """The file's lines up to where it breaks off, if it does (``_broken`` then says how)."""
        try:
            yield from self._feed._stream
        except _BROKEN as error:
            self._broken = error

    def read(self, rows: int) -> Chunk | None:
        """The next ``rows`` rows (fewer at the end of the file); None after the last."""
        first = self.next_line
        lines = self._take(rows)
        if not lines:
            if self._broken is not None:
                raise _unreadable_from(first)
            return None
        text = self._copy_text(lines)
        if text is not None:
            self.next_line += len(lines)
            return Chunk(first, lines, None, self._delimiter, text)
        self._back[:0] = lines
        return self._careful(first, rows)

    def give_back(self, chunk: Chunk, from_line: int) -> None:
        """The lines of ``chunk`` from ``from_line`` on are read again by the next ``read``."""
        returned = chunk.lines[from_line - chunk.first_line :]
        self._back[:0] = returned
        self.next_line -= len(returned)

    def _take(self, count: int) -> list[bytes]:
        taken = self._back[:count]
        del self._back[:count]
        if len(taken) < count:
            taken.extend(islice(self._lines, count - len(taken)))
        return taken

    def _copy_text(self, lines: list[bytes]) -> bytes | None:
        """The lines in COPY's text format when each is one whole row of the header's width,
        read as the csv module reads it; None when one is not (a row over several lines, a
        blank line, a wrong width, a lone CR, a NUL, bytes that are not UTF-8)."""
        delimiter = self._delimiter.encode()
        data = b"".join(lines)
        if b"\0" in data or data.count(b"\r") != data.count(b"\r\n"):
            return None
        if data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data:
            return None
        try:
            data.decode()
        except UnicodeDecodeError:
            return None
        data = _without_empty_quotes(data, delimiter)
        if b'"' not in data:
            if not all(line.count(delimiter) == self._separators for line in lines):
                return None
            return _text_format(data, delimiter)
        # Some cells are quoted (a delimiter inside): the csv module reads those lines, one each,
        # as they came (a ``""`` inside a quoted cell is a quote). A line left without quotes
        # had none but empty cells: the opening quote of a cell with text cannot go.
        parts: list[bytes] = []
        plain: list[bytes] = []
        for line, cleaned in zip(lines, data.splitlines(keepends=True), strict=True):
            if b'"' not in cleaned:
                if cleaned.count(delimiter) != self._separators:
                    return None
                plain.append(cleaned)
                continue
            cells = self._one_row(line)
            if cells is None:
                return None
            if plain:
                parts.append(_text_format(b"".join(plain), delimiter))
                plain = []
            parts.append(_text_row(cells))
        if plain:
            parts.append(_text_format(b"".join(plain), delimiter))
        return b"".join(parts)

    def _one_row(self, line: bytes) -> list[str] | None:
        """The cells of a line that is a whole row of the header's width by itself."""
        try:
            cells = next(
                csv.reader([line.decode().rstrip("\r\n")], delimiter=self._delimiter, strict=True)
            )
        except csv.Error:
            return None  # a quoted cell goes on to the next line, or the quoting is broken
        return cells if len(cells) == self._separators + 1 else None

    def _careful(self, first: int, rows: int) -> Chunk:
        consumed: list[bytes] = []

        def texts() -> Iterator[str]:
            while True:
                line = self._take(1)
                if not line:
                    if self._broken is not None:
                        # Not an end: a row the break cut through is unread, not malformed.
                        raise self._broken
                    return
                pieces = [p for p in _LONE_CR.split(line[0]) if p] if b"\r" in line[0] else line
                if len(pieces) > 1:
                    self._back[:0] = pieces[1:]
                consumed.append(pieces[0])
                yield pieces[0].decode()

        reader = csv.reader(texts(), delimiter=self._delimiter, strict=True)
        records: list[Record] = []
        self._feed.lines_read = first - 1
        try:
            for record in self._feed._reading(self._feed._csv_records(reader, first - 1)):
                records.append(record)
                if len(records) == rows:
                    break
        except FeedError:
            if not records:
                raise
            # The rows read before the file failed are a batch as usual; the lines after them
            # are read again by the next ``read``, which then raises.
            whole = self._feed.lines_read - first + 1
            self._back[:0] = consumed[whole:]
            del consumed[whole:]
        self.next_line = first + len(consumed)
        return Chunk(first, consumed, records, self._delimiter)


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
            self._writer = csv_writer(self._handle, delimiter=self.delimiter, lineterminator="\n")
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
