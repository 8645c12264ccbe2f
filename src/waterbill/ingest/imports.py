"""Import of the billing feeds: a file of subscribers, invoices or payments, the use case the CLI
calls.

A file is imported in batches (``BATCH_SIZE`` rows, cut early where a row repeats the identity of
a row already in the batch, so that every batch is a set). Each batch is one transaction that
also records itself in ``import_batches``: a crash leaves the store as before that batch, and a
re-run of the same file skips the batches already committed (cut as that run cut them, whatever
the batch size is now), so it ends in the same state as an uninterrupted import.

A CSV file on PostgreSQL takes the bulk path (``run_bulk``): each batch is COPYed into staging
and its plain rows are checked and cast in SQL (``bulk.py``), only the others by the rules
(``rows.py``). Everything else (SQLite, JSON Lines) reads every row through the rules
(``run_records``). Both end in the same set-based merges of ``repository.py``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DataError, DBAPIError

from waterbill import clock
from waterbill.calendar import YearMonth
from waterbill.db.database import Database
from waterbill.i18n.marker import _
from waterbill.identifiers import DEFAULT_CODE_LENGTH, CodeLength, strip_separators
from waterbill.ingest import bulk, repository
from waterbill.ingest.columns import COLUMNS, OPTIONAL, Kind
from waterbill.ingest.formats import Chunk, Feed, FeedError, Record, RejectWriter
from waterbill.ingest.payments import judge_payment
from waterbill.ingest.problems import Problem, Rejected
from waterbill.ingest.quality import (
    HISTORY_MONTHS,
    RowWarning,
    far_above_median,
    invoice_warnings,
)
from waterbill.ingest.records import InvoiceRecord, PaymentRecord, StoredPayment, SubscriberRecord
from waterbill.ingest.rows import PARSERS
from waterbill.ingest.texts import message_in
from waterbill.notifications import outbox

BATCH_SIZE = 20_000
WARNING_EXAMPLES = 20

Progress = Callable[[int, int], None]


@dataclass
class FileSummary:
    """The account of one file: every input row is loaded, unchanged, updated or rejected."""

    path: Path
    kind: Kind
    rows: int = 0
    loaded: int = 0
    unchanged: int = 0
    updated: int = 0
    rejected: int = 0
    batches: int = 0
    batches_already_done: int = 0
    reject_path: Path | None = None
    warnings: Counter[str] = field(default_factory=Counter)
    warning_examples: list[str] = field(default_factory=list)
    reject_examples: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.rows == self.loaded + self.unchanged + self.updated + self.rejected


class PartlyImported(FeedError):
    """The file could not be read to its end: the rows before were imported as ``summary`` says."""

    def __init__(self, error: FeedError, summary: FileSummary) -> None:
        super().__init__(error.msgid, **error.params)
        self.summary = summary


def _line(line: int) -> str:
    return message_in("az", _("line %(line)s"), (("line", line),))


def _reject_message(line: int, problems: Sequence[Problem]) -> str:
    return f"{_line(line)}: " + "; ".join(problem.text() for problem in problems)


def _unreadable(record: Record) -> str:
    """The message of a line the reader could not make a row of."""
    assert record.problem is not None
    return _reject_message(record.line, [record.problem])


def _warning_message(line: int, warning: RowWarning) -> str:
    return f"{_line(line)}, {warning.text()}"


def _batch_key(kind: Kind, values: dict[str, str | None]) -> tuple[str, ...]:
    def clean(column: str) -> str:
        return (values.get(column) or "").strip()

    code = strip_separators(values.get("subscriber_code"))
    if kind == "subscribers":
        return (code,)
    if kind == "invoices":
        return (code, _period_key(clean("period")), clean("service"))
    return (clean("channel"), clean("payment_id"))


@lru_cache(maxsize=256)
def _period_key(text: str) -> str:
    """The month as the rules read it (``٢٠٢٦-١٠`` is 2026-10 too), or the text when it is none."""
    try:
        return str(YearMonth.parse(text))
    except ValueError:
        return text


@lru_cache(maxsize=256)
def _history_from(period: str) -> str:
    """The first of the 12 months before ``period``: the consumption-spike baseline."""
    return str(YearMonth.parse(period).shift(-HISTORY_MONTHS))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_file(
    *,
    database: Database,
    kind: Kind,
    path: Path,
    rejects_path: Path,
    code_length: CodeLength = DEFAULT_CODE_LENGTH,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> FileSummary:
    """Import one feed file.

    Raises FeedError when no row of the file can be read, PartlyImported when it fails part-way
    (a damaged or cut-short .gz): the rows before are imported, whatever the batch size.
    """
    summary = FileSummary(path=path, kind=kind)
    digest = file_digest(path)
    # On the primary: which batches a run finished must not depend on a replica's lag.
    with database.read(primary=True) as connection:
        done = repository.finished_batches(connection, kind, digest)
    with Feed(path, COLUMNS[kind]) as feed:
        if feed.format == "csv":
            missing = [c for c in COLUMNS[kind] if c not in feed.columns and c not in OPTIONAL]
            if missing:
                names = ", ".join(missing)
                raise FeedError(_("missing columns: %(columns)s"), columns=names)
        # A reject file left by an earlier run would describe rows this run may have loaded.
        rejects_path.unlink(missing_ok=True)
        writer = RejectWriter(rejects_path, feed)
        importer = _BatchImporter(
            database=database,
            kind=kind,
            digest=digest,
            done=done,
            writer=writer,
            summary=summary,
            code_length=code_length,
            now=now,
        )
        try:
            if feed.format == "csv" and database.dialect == "postgresql":
                importer.run_bulk(feed, batch_size, progress)
            else:
                importer.run_records(feed, batch_size, progress)
        except FeedError as error:
            if not summary.rows:
                raise
            raise PartlyImported(error, summary) from None
        finally:
            writer.close()
            summary.reject_path = rejects_path if writer.count else None
    return summary


class _BatchImporter:
    def __init__(
        self,
        *,
        database: Database,
        kind: Kind,
        digest: str,
        done: dict[int, repository.BatchRecord],
        writer: RejectWriter,
        summary: FileSummary,
        code_length: CodeLength,
        now: datetime | None,
    ) -> None:
        self.database = database
        self.kind = kind
        self.digest = digest
        self.done = done
        self.writer = writer
        self.summary = summary
        self.code_length = code_length
        self.fixed_now = now
        self.batch_no = 0

    def run_records(self, feed: Feed, batch_size: int, progress: Progress | None) -> None:
        """Row by row through the rules, then set-based merges (SQLite, JSON Lines)."""
        batch: list[Record] = []
        keys: set[tuple[str, ...]] = set()
        try:
            for row in feed.records():
                key = _batch_key(self.kind, row.values)
                if self._batch_ends(len(batch), key in keys, batch_size):
                    self.run(batch)
                    batch, keys = [], set()
                    if progress is not None:
                        progress(self.summary.rows, feed.bytes_read)
                batch.append(row)
                keys.add(key)
        except FeedError:
            # The rows read before the file failed are imported whatever the batch size, as
            # the bulk path's chunks end there too.
            if batch:
                self.run(batch)
            raise
        if batch:
            self.run(batch)
        if progress is not None:
            progress(self.summary.rows, feed.bytes_read)

    def _batch_ends(self, rows: int, repeated: bool, batch_size: int) -> bool:
        """Whether the batch in hand ends before the next row, which is ``repeated`` in it."""
        previous = self.done.get(self.batch_no)
        if previous is not None:
            # A batch an earlier run committed is the same rows again, whatever the batch size
            # is now: its record then accounts for exactly these rows and rejects.
            return rows == previous.rows
        return rows >= batch_size or repeated

    def _already_done(self, batch: Sequence[Record]) -> int | None:
        """The batch's number, or None when an earlier run committed it."""
        batch_no = self.batch_no
        self.batch_no += 1
        self.summary.batches += 1
        previous = self.done.get(batch_no)
        if previous is None:
            return batch_no
        # Committed by an earlier run: nothing changes now, so its rows count as unchanged.
        self.summary.batches_already_done += 1
        self._account(_as_unchanged(previous), _raw_rows(batch))
        return None

    def run_bulk(self, feed: Feed, batch_size: int, progress: Progress | None) -> None:
        """A CSV feed on PostgreSQL: COPY and SQL for the plain rows, the rules for the rest.

        One connection runs the whole file, so the staging tables are made once; each batch is
        still its own transaction.
        """
        header = bulk.Columns(feed.columns)
        with self.database.primary.connect() as connection:
            with connection.begin():
                bulk.open_staging(connection, header.width)
            try:
                self._bulk_batches(connection, feed, header, batch_size, progress)
            finally:
                try:
                    with connection.begin():
                        bulk.close_staging(connection)
                except DBAPIError:
                    # A broken connection is not handed out again, staging tables and all.
                    connection.invalidate()

    def _bulk_batches(
        self,
        connection: Connection,
        feed: Feed,
        header: bulk.Columns,
        batch_size: int,
        progress: Progress | None,
    ) -> None:
        chunks = feed.chunks()
        while True:
            previous = self.done.get(self.batch_no)
            # A batch an earlier run committed is the same rows again, however it ended.
            chunk = chunks.read(previous.rows if previous is not None else batch_size)
            if chunk is None:
                break
            batch_no = self.batch_no
            self.batch_no += 1
            self.summary.batches += 1
            if previous is not None:
                self.summary.batches_already_done += 1
                self._account(_as_unchanged(previous), chunk.raw)
            else:
                with connection.begin():
                    result, repeat = self._bulk_batch(connection, chunk, header, batch_no)
                if repeat is not None:
                    chunks.give_back(chunk, repeat)
                self._account(result, chunk.raw)
            if progress is not None:
                progress(self.summary.rows, feed.bytes_read)

    def _bulk_batch(
        self, connection: Connection, chunk: Chunk, header: bulk.Columns, batch_no: int
    ) -> tuple[repository.BatchRecord, int | None]:
        now = self.fixed_now or clock.now()
        rejects: dict[int, str] = {}
        unreadable = {r.line: r for r in chunk.records or () if r.problem is not None}
        for line in bulk.stage_chunk(connection, chunk, header.width):
            rejects[line] = _unreadable(unreadable[line])
        limits = bulk.Limits(self.code_length, now)
        try:
            with connection.begin_nested():
                plain = bulk.take_plain(connection, self.kind, header, limits)
        except DataError:
            plain = 0  # a value SQL cannot even cast: every row of the batch goes to the rules
        doubtful = []
        if plain < chunk.rows - len(rejects):
            doubtful = bulk.doubtful_rows(connection, self.kind, header)
        parse = PARSERS[self.kind]
        parsed: list[tuple[int, Any]] = []
        for line, values in doubtful:
            try:
                parsed.append((line, parse(values, code_length=self.code_length, now=now)))
            except Rejected as error:
                rejects[line] = _reject_message(line, error.problems)
        _stage_parsed(connection, self.kind, parsed, now)
        rows = chunk.rows
        repeat = bulk.first_repeat(connection, self.kind)
        if repeat is not None:
            # The batch ends before a row whose identity it already holds (see the module).
            bulk.discard_from(connection, self.kind, repeat)
            rows = chunk.rows_before(repeat)
            rejects = {line: text for line, text in rejects.items() if line < repeat}
            parsed = [(line, record) for line, record in parsed if line < repeat]
        staged = rows - len(rejects)
        if self.kind == "subscribers":
            merge = repository.merge_staged_subscribers(connection, staged)
        elif self.kind == "invoices":
            for line, record in repository.staged_invoices_to_check(connection):
                for warning in invoice_warnings(record):
                    self._warn(line, warning)
            merge, histories = repository.merge_staged_invoices(connection, staged, now)
            self._spikes(histories)
        else:
            merge = self._staged_payments(connection, parsed, rejects, now)
        for line in merge.unknown_lines:
            rejects[line] = _reject_message(line, [_UNKNOWN_SUBSCRIBER])
        result = self._finish(connection, rows, batch_no, merge, rejects, now)
        return result, repeat

    def run(self, batch: Sequence[Record]) -> None:
        batch_no = self._already_done(batch)
        if batch_no is None:
            return
        now = self.fixed_now or clock.now()
        rejects: dict[int, str] = {}
        parsed: list[tuple[int, object]] = []
        parse = PARSERS[self.kind]
        for record in batch:
            if record.problem is not None:
                rejects[record.line] = _unreadable(record)
                continue
            try:
                parsed.append(
                    (record.line, parse(record.values, code_length=self.code_length, now=now))
                )
            except Rejected as error:
                rejects[record.line] = _reject_message(record.line, error.problems)
        with self.database.write() as connection:
            if self.kind == "subscribers":
                merge = repository.merge_subscribers(
                    connection,
                    [(line, r) for line, r in parsed if isinstance(r, SubscriberRecord)],
                    now,
                )
            elif self.kind == "invoices":
                merge = self._invoices(connection, parsed, now)
            else:
                merge = self._payments(connection, parsed, rejects, now)
            for line in merge.unknown_lines:
                rejects[line] = _reject_message(line, [_UNKNOWN_SUBSCRIBER])
            result = self._finish(connection, len(batch), batch_no, merge, rejects, now)
        self._account(result, _raw_rows(batch))

    def _finish(
        self,
        connection: Connection,
        rows: int,
        batch_no: int,
        merge: repository.Merge,
        rejects: dict[int, str],
        now: datetime,
    ) -> repository.BatchRecord:
        """Records the batch in ``import_batches``, in its own transaction."""
        result = repository.BatchRecord(
            rows=rows,
            loaded=merge.loaded,
            unchanged=merge.unchanged,
            updated=merge.updated,
            rejected=len(rejects),
            rejects=rejects,
        )
        repository.record_batch(
            connection,
            kind=self.kind,
            digest=self.digest,
            batch_no=batch_no,
            record=result,
            now=now,
        )
        return result

    def _invoices(
        self, connection: Connection, parsed: list[tuple[int, object]], now: datetime
    ) -> repository.Merge:
        records: list[tuple[int, InvoiceRecord, str]] = []
        for line, record in parsed:
            assert isinstance(record, InvoiceRecord)
            records.append((line, record, _history_from(record.period)))
            for warning in invoice_warnings(record):
                self._warn(line, warning)
        merge, histories = repository.merge_invoices(connection, records, now)
        self._spikes(histories)
        return merge

    def _spikes(self, histories: list[tuple[int, Decimal, list[Decimal]]]) -> None:
        for line, consumption, history in sorted(histories, key=lambda item: item[0]):
            spike = far_above_median(consumption, history)
            if spike is not None:
                self._warn(line, spike)

    def _payments(
        self,
        connection: Connection,
        parsed: list[tuple[int, object]],
        rejects: dict[int, str],
        now: datetime,
    ) -> repository.Merge:
        records = [(line, r) for line, r in parsed if isinstance(r, PaymentRecord)]
        repository.lock_reversed_payments(connection, _reversed_keys(records))
        facts = repository.payment_facts_batch(connection, records)
        accepted, unchanged = _judge_payments(records, facts, rejects)
        loaded = repository.insert_payments(connection, accepted, now)
        if loaded:
            outbox.payments_added(connection, {id_ for _, id_ in accepted}, now)
        return repository.Merge(loaded, 0, unchanged, [])

    def _staged_payments(
        self,
        connection: Connection,
        parsed: list[tuple[int, Any]],
        rejects: dict[int, str],
        now: datetime,
    ) -> repository.Merge:
        """The rules judge the rows the SQL left to them; then every new payment is stored."""
        # The SQL takes no reversal: every one is among the rows the rules read.
        repository.lock_reversed_payments(connection, _reversed_keys(parsed))
        facts = repository.staged_payment_facts(connection)
        accepted, unchanged = _judge_payments(parsed, facts, rejects)
        new, same = repository.settle_staged_payments(connection, now)
        loaded = new + repository.insert_payments(connection, accepted, now)
        if loaded:
            subscriber_ids = {id_ for _, id_ in accepted}
            subscriber_ids.update(repository.staged_new_payment_subscribers(connection))
            outbox.payments_added(connection, subscriber_ids, now)
        return repository.Merge(loaded, 0, unchanged + same, [])

    def _warn(self, line: int, warning: RowWarning) -> None:
        self.summary.warnings[warning.code] += 1
        if len(self.summary.warning_examples) < WARNING_EXAMPLES:
            self.summary.warning_examples.append(_warning_message(line, warning))

    def _account(
        self, result: repository.BatchRecord, raw: Callable[[int], Sequence[str] | str]
    ) -> None:
        summary = self.summary
        summary.rows += result.rows
        summary.loaded += result.loaded
        summary.unchanged += result.unchanged
        summary.updated += result.updated
        summary.rejected += result.rejected
        # The reject file follows the input's order, whether the batch ran now or in a past run.
        for line in sorted(result.rejects):
            message = result.rejects[line]
            self.writer.write(raw(line), message)
            if len(summary.reject_examples) < WARNING_EXAMPLES:
                summary.reject_examples.append(message)
        self.writer.flush()


def _judge_payments(
    records: Sequence[tuple[int, PaymentRecord]],
    facts: dict[int, repository.PaymentFacts],
    rejects: dict[int, str],
) -> tuple[list[tuple[PaymentRecord, int]], int]:
    """Each payment, in the file's order, against the store and the batch's earlier rows.

    A reversal counts what the stored reversals and this batch's earlier ones took back already.
    """
    accepted: list[tuple[PaymentRecord, int]] = []
    earlier: dict[tuple[str, str], StoredPayment] = {}
    reversed_in_batch: dict[tuple[str, str], Decimal] = {}
    unchanged = 0
    for line, payment in records:
        fact = facts[line]
        target = fact.reversed_payment
        if target is None and payment.reverses is not None:
            target = earlier.get((payment.channel, payment.reverses))
            # A payment of this batch that the SQL took: it counts only when it came first.
            if target is None and fact.batch_target is not None and fact.batch_target[0] < line:
                target = fact.batch_target[1]
        if target is not None and payment.reverses is not None:
            taken = reversed_in_batch.get((payment.channel, payment.reverses), Decimal(0))
            target = replace(target, reversed=target.reversed + taken)
        try:
            verdict = judge_payment(
                payment,
                subscriber_known=fact.subscriber_id is not None,
                stored=fact.stored,
                reversed_payment=target,
            )
        except Rejected as error:
            rejects[line] = _reject_message(line, error.problems)
            continue
        if verdict == "same":
            unchanged += 1
            continue
        assert fact.subscriber_id is not None
        accepted.append((payment, fact.subscriber_id))
        earlier[payment.key] = StoredPayment(
            payment.subscriber_code, payment.paid_at, payment.amount, payment.reverses
        )
        if payment.reverses is not None:
            key = (payment.channel, payment.reverses)
            reversed_in_batch[key] = reversed_in_batch.get(key, Decimal(0)) - payment.amount
    return accepted, unchanged


def _reversed_keys(records: Sequence[tuple[int, PaymentRecord]]) -> list[tuple[str, str]]:
    return [(r.channel, r.reverses) for _line, r in records if r.reverses is not None]


def _as_unchanged(previous: repository.BatchRecord) -> repository.BatchRecord:
    accepted = previous.loaded + previous.unchanged + previous.updated
    return replace(previous, loaded=0, updated=0, unchanged=accepted)


def _raw_rows(batch: Sequence[Record]) -> Callable[[int], Sequence[str] | str]:
    return {record.line: record.raw for record in batch}.__getitem__


def _stage_parsed(
    connection: Connection, kind: Kind, parsed: list[tuple[int, Any]], now: datetime
) -> None:
    """The rows the rules accepted, into the staging table beside the SQL's plain rows."""
    if kind == "subscribers":
        repository.add_staged(connection, kind, repository.subscriber_rows(parsed, now))
    elif kind == "invoices":
        rows = [(line, record, _history_from(record.period)) for line, record in parsed]
        repository.add_staged(connection, kind, repository.invoice_rows(rows))
    else:
        repository.add_staged_payments(connection, parsed)


_UNKNOWN_SUBSCRIBER = Problem(
    "unknown_subscriber",
    "subscriber_code",
    _("no subscriber has this code (import the subscribers first)"),
)
