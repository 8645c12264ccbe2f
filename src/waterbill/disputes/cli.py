"""``waterbill disputes import-photos``: the one-off move of photo files into the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.disputes.photo_import import import_file_photos


@click.group("disputes")
def disputes() -> None:
    """Dispute requests (regulation 3.6)."""


@disputes.command("import-photos")
@click.option(
    "--from",
    "upload_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/uploads"),
    show_default=True,
    help="The directory that was WATERBILL_UPLOAD_DIR.",
)
def import_photos(upload_dir: Path) -> None:
    """Copy the meter photos of the former upload directory into the database.

    Safe to run again. Exit 1 while some request's photo could not be imported.
    """
    database = Database(get_settings())
    try:
        result = import_file_photos(database=database, upload_dir=upload_dir)
    finally:
        database.dispose()
    click.echo(f"photos imported: {result.imported}")
    for reference in result.missing:
        click.echo(f"{reference}: no such file under {upload_dir}", err=True)
    for reference in result.unreadable:
        click.echo(f"{reference}: the file is not a readable JPEG or PNG", err=True)
    if result.missing or result.unreadable:
        sys.exit(1)
