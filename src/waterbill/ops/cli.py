"""``waterbill maintenance on|off``: announce and end a maintenance window."""

from __future__ import annotations

import sys

import click

from waterbill import clock
from waterbill.calendar import BAKU
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.ops.maintenance import announce_maintenance, end_maintenance, parse_until


@click.group("maintenance")
def maintenance() -> None:
    """Announced maintenance: citizen pages and the API answer 503 until it ends."""


@maintenance.command("on")
@click.option(
    "--until",
    "until_text",
    required=True,
    help='End of the maintenance, e.g. "2026-12-01 06:00" (Baku time unless an offset is given).',
)
@click.option("--message", default=None, help="Text shown to citizens with the end time.")
def maintenance_on(until_text: str, message: str | None) -> None:
    """Switch maintenance on for every app instance."""
    now = clock.now()
    try:
        until = parse_until(until_text, now=now)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    database = Database(get_settings())
    try:
        window = announce_maintenance(database=database, until=until, message=message, now=now)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    finally:
        database.dispose()
    local = window.until.astimezone(BAKU).strftime("%Y-%m-%d %H:%M")
    click.echo(f"maintenance is on until {local} Baku time")


@maintenance.command("off")
def maintenance_off() -> None:
    """Switch maintenance off; the service answers normally within a second."""
    database = Database(get_settings())
    try:
        ended = end_maintenance(database=database)
    finally:
        database.dispose()
    click.echo("maintenance is off" if ended else "maintenance was not on")
