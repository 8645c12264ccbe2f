"""``waterbill import`` and ``waterbill channels``: thin commands over the ingest service."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.ingest.formats import FeedError
from waterbill.ingest.rules import KINDS, Kind
from waterbill.ingest.service import (
    BATCH_SIZE,
    ChannelExists,
    FileSummary,
    UnknownChannel,
    add_channel,
    import_file,
    revoke_channel,
)

EXIT_REJECTED = 1
EXIT_UNREADABLE = 2
_UPDATED = {"subscribers": "yenilənib", "invoices": "yenidən hesablanıb", "payments": "yenilənib"}


def _rejects_path(source: Path, option: Path | None, several: bool) -> Path:
    """Next to the input by default; with several inputs ``--rejects`` is a directory."""
    name = source.name.removesuffix(".gz")
    stem, dot, suffix = name.rpartition(".")
    reject_name = f"{stem}.rejects.{suffix}" if dot else f"{name}.rejects"
    if option is None:
        return source.with_name(reject_name)
    return option / reject_name if several else option


def _report(summary: FileSummary) -> None:
    click.echo(
        f"{summary.path.name}: {summary.rows} sətir — yeni {summary.loaded}, "
        f"dəyişməyən {summary.unchanged}, {_UPDATED[summary.kind]} {summary.updated}, "
        f"rədd edilib {summary.rejected}"
        + (
            f" ({summary.batches_already_done} partiya əvvəlki işdə tamamlanmışdı)"
            if summary.batches_already_done
            else ""
        )
    )
    click.echo(
        f"  rows {summary.rows}: new {summary.loaded}, unchanged {summary.unchanged}, "
        f"{'recalculated' if summary.kind == 'invoices' else 'updated'} {summary.updated}, "
        f"rejected {summary.rejected}"
    )
    for message in summary.reject_examples:
        click.echo(f"  rədd: {message}", err=True)
    if summary.reject_path is not None:
        click.echo(f"  rədd edilmiş sətirlər / rejected rows: {summary.reject_path}", err=True)
    if summary.warnings:
        counts = ", ".join(f"{code} {count}" for code, count in sorted(summary.warnings.items()))
        click.echo(f"  xəbərdarlıq / warnings: {counts}", err=True)
        for message in summary.warning_examples:
            click.echo(f"  xəbərdarlıq: {message}", err=True)


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
                TextColumn("{task.fields[rows]} sətir"),
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
            progress=lambda rows, _done: click.echo(f"{path.name}: {rows} sətir", err=True),
        )
    except FeedError as error:
        click.echo(f"{path}: {error.az} / {error.en}", err=True)
        return None


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
    except ChannelExists:
        click.echo(f"«{name}» kanalı artıq var / channel {name!r} already exists", err=True)
        sys.exit(EXIT_REJECTED)
    finally:
        database.dispose()
    click.echo(key)
    click.echo(
        "Açar yalnız indi göstərilir; onu etibarlı yerdə saxlayın. / "
        "The key is shown only now; keep it safe.",
        err=True,
    )


@channels.command("revoke")
@click.argument("name")
def channels_revoke(name: str) -> None:
    """Revoke the key of channel NAME at once."""
    database = Database(get_settings())
    try:
        with database.write() as connection:
            revoke_channel(db=connection, name=name)
    except UnknownChannel:
        click.echo(f"«{name}» adlı aktiv kanal yoxdur / no active channel {name!r}", err=True)
        sys.exit(EXIT_REJECTED)
    finally:
        database.dispose()
    click.echo(f"«{name}» kanalının açarı ləğv edildi / the key of {name!r} is revoked")
