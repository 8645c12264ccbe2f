"""``waterbill export readings`` for the billing system, ``waterbill readings meter-replaced``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.errors import ServiceError
from waterbill.i18n.messages import refusal_message
from waterbill.readings import service
from waterbill.readings.schemas import EXPORT_COLUMNS, ExportedReading
from waterbill.spreadsheet import csv_writer


@click.group("export")
def export() -> None:
    """Hand data over to other systems."""


@export.command("readings")
@click.option("--since", default="0", show_default=True, help="The cursor the last export gave.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_readings(since: str, file: Path) -> None:
    """Write the meter readings after the cursor SINCE to FILE (.csv: CSV, otherwise JSON).

    Each reading appears exactly once per cursor; the next cursor is printed at the end and is
    in the JSON. The photo links are for staff signed in with the admin role.
    """
    settings = get_settings()
    database = Database(settings)
    readings: list[ExportedReading] = []
    cursor = since
    try:
        while True:
            page = service.export_readings(
                database=database, since=cursor, channel="cli", channel_name="cli"
            )
            readings += [ExportedReading.of(r, base_url=settings.base_url) for r in page.readings]
            cursor = str(page.next_cursor)
            if not page.more:
                break
    except ServiceError as error:
        click.echo(refusal_message(error, "az"), err=True)
        sys.exit(2)
    finally:
        database.dispose()
    if file.suffix.lower() == ".csv":
        with file.open("w", encoding="utf-8", newline="") as out:
            writer = csv_writer(out, delimiter=",", lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)
            for reading in readings:
                fields = reading.model_dump(mode="json")
                writer.writerow([_cell(fields.get(name)) for name in EXPORT_COLUMNS])
    else:
        body = {
            "readings": [reading.model_dump(mode="json") for reading in readings],
            "next_cursor": cursor,
        }
        file.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"readings: {len(readings)}")
    click.echo(f"next cursor: {cursor}")


def _cell(value: object) -> str:
    """A CSV cell with the JSON's spelling: empty for null, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@click.group("readings")
def readings() -> None:
    """Meter readings submitted by citizens."""


@readings.command("meter-replaced")
@click.argument("code")
@click.option(
    "--on",
    "replaced_on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the new meter was fitted.",
)
@click.option(
    "--reading", "initial", default="0", show_default=True, help="The new meter's figure."
)
def meter_replaced(code: str, replaced_on: datetime, initial: str) -> None:
    """Record that the meter of CODE was replaced: readings below the old meter's are accepted."""
    settings = get_settings()
    database = Database(settings)
    try:
        service.record_meter_replacement(
            database=database,
            code=code,
            replaced_on=replaced_on.date(),
            initial_reading=initial,
            code_length=settings.code_length_range,
        )
    except ServiceError as error:
        click.echo(refusal_message(error, "az"), err=True)
        sys.exit(2)
    finally:
        database.dispose()
    click.echo(f"meter replacement recorded for {code}")
