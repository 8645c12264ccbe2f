"""``waterbill import`` and ``waterbill channels``: thin commands over ``imports``, ``channels``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.errors import ServiceError
from waterbill.i18n.marker import _
from waterbill.i18n.messages import refusal_message
from waterbill.ingest.channels import ChannelExists, UnknownChannel, add_channel, revoke_channel
from waterbill.ingest.columns import KINDS, Kind
from waterbill.ingest.formats import FeedError
from waterbill.ingest.imports import BATCH_SIZE, FileSummary, PartlyImported, import_file
from waterbill.ingest.texts import bilingual, message_in

EXIT_REJECTED = 1
EXIT_UNREADABLE = 2
_COUNTS = _(
    "rows %(rows)s: new %(loaded)s, unchanged %(unchanged)s, updated %(updated)s, "
    "rejected %(rejected)s"
)
# An invoice that comes again with other figures is a recalculation of the bill.
_INVOICE_COUNTS = _(
    "rows %(rows)s: new %(loaded)s, unchanged %(unchanged)s, recalculated %(updated)s, "
    "rejected %(rejected)s"
)
_ROWS = _("%(rows)s rows")


def _rejects_path(source: Path, option: Path | None, several: bool) -> Path:
    """Next to the input by default; with several inputs ``--rejects`` is a directory."""
    name = source.name.removesuffix(".gz")
    stem, dot, suffix = name.rpartition(".")
    reject_name = f"{stem}.rejects.{suffix}" if dot else f"{name}.rejects"
    if option is None:
        return source.with_name(reject_name)
    return option / reject_name if several else option


def _report(summary: FileSummary) -> None:
    """The counts in Azerbaijani, then in English; the examples of rejects and warnings."""
    counts = _INVOICE_COUNTS if summary.kind == "invoices" else _COUNTS
    figures = (
        ("rows", summary.rows),
        ("loaded", summary.loaded),
        ("unchanged", summary.unchanged),
        ("updated", summary.updated),
        ("rejected", summary.rejected),
    )
    line = f"{summary.path.name}: {message_in('az', counts, figures)}"
    if summary.batches_already_done:
        earlier = _("(%(batches)s batches were completed by an earlier run)")
        line += " " + message_in("az", earlier, (("batches", summary.batches_already_done),))
    click.echo(line)
    click.echo(f"  {message_in('en', counts, figures)}")
    for message in summary.reject_examples:
        click.echo(f"  {message_in('az', _('rejected: %(row)s'), (('row', message),))}", err=True)
    if summary.reject_path is not None:
        click.echo(f"  {bilingual(_('rejected rows'))}: {summary.reject_path}", err=True)
    if summary.warnings:
        found = ", ".join(f"{code} {count}" for code, count in sorted(summary.warnings.items()))
        click.echo(f"  {bilingual(_('warnings'))}: {found}", err=True)
        for message in summary.warning_examples:
            warning = message_in("az", _("warning: %(row)s"), (("row", message),))
            click.echo(f"  {warning}", err=True)


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    default=None,
    help="Where rejected rows go (a directory when several files are given).",
)
@click.option("--batch-size", type=click.IntRange(1), default=BATCH_SIZE, show_default=True)
def import_command(
    kind: Kind, files: tuple[Path, ...], rejects: Path | None, batch_size: int
) -> None:
    """Import billing feed FILES (CSV or JSON Lines, .gz accepted); see docs/import-format.md.

    Exit code 0: every row loaded or unchanged; 1: some rows rejected; 2: a file unreadable.
    """
    settings = get_settings().for_bulk_work()
    database = Database(settings)
    exit_code = 0
    try:
        for path in files:
            summary = _import_one(
                database, kind, path, _rejects_path(path, rejects, len(files) > 1), batch_size
            )
            if summary is None:
                exit_code = EXIT_UNREADABLE
                continue
            _report(summary)
            if summary.rejected and exit_code == 0:
                exit_code = EXIT_REJECTED
    finally:
        database.dispose()
    sys.exit(exit_code)


def _import_one(
    database: Database, kind: Kind, path: Path, rejects: Path, batch_size: int
) -> FileSummary | None:
    settings = database.settings
    try:
        if sys.stderr.isatty():
            # Only a terminal shows the bar: a scheduled import does without importing it.
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn(message_in("az", _ROWS, (("rows", "{task.fields[rows]}"),))),
                TimeRemainingColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task(path.name, total=path.stat().st_size, rows=0)
                return import_file(
                    database=database,
                    kind=kind,
                    path=path,
                    rejects_path=rejects,
                    code_length=settings.code_length_range,
                    batch_size=batch_size,
                    progress=lambda rows, done: bar.update(task, completed=done, rows=rows),
                )
        return import_file(
            database=database,
            kind=kind,
            path=path,
            rejects_path=rejects,
            code_length=settings.code_length_range,
            batch_size=batch_size,
            progress=lambda rows, _done: click.echo(
                f"{path.name}: {message_in('az', _ROWS, (('rows', rows),))}", err=True
            ),
        )
    except FeedError as error:
        if isinstance(error, PartlyImported):
            _report(error.summary)
        click.echo(f"{path}: {error}", err=True)
        return None


def _refusal_text(refusal: ServiceError) -> str:
    """A refusal as the import's report words it: Azerbaijani, then English."""
    return f"{refusal_message(refusal, 'az')} / {refusal_message(refusal, 'en')}"


@click.group()
def channels() -> None:
    """Payment channels that post payments to the API with their own key."""


@channels.command("add")
@click.argument("name")
def channels_add(name: str) -> None:
    """Register channel NAME and print its API key (shown only this once)."""
    database = Database(get_settings())
    try:
        with database.write() as connection:
            key = add_channel(db=connection, name=name)
    except ChannelExists as refusal:
        click.echo(_refusal_text(refusal), err=True)
        sys.exit(EXIT_REJECTED)
    finally:
        database.dispose()
    click.echo(key)
    click.echo(bilingual(_("The key is shown only now; keep it safe.")), err=True)


@channels.command("revoke")
@click.argument("name")
def channels_revoke(name: str) -> None:
    """Revoke the key of channel NAME at once."""
    database = Database(get_settings())
    try:
        with database.write() as connection:
            revoke_channel(db=connection, name=name)
    except UnknownChannel as refusal:
        click.echo(_refusal_text(refusal), err=True)
        sys.exit(EXIT_REJECTED)
    finally:
        database.dispose()
    click.echo(bilingual(_("the key of %(name)r is revoked"), (("name", name),)))
