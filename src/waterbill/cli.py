"""The ``waterbill`` command: a thin shell over the same service functions the web calls."""

from __future__ import annotations

import importlib
import json
import sys
import time
from datetime import date

import click

from waterbill.config import get_settings

# Each command's module is imported only when the command runs (or help lists it): the web app,
# which most commands never touch, takes a second to import, longer than a small feed's import.
_COMMANDS = {
    "audit": "waterbill.audit.cli:audit",
    "check": "waterbill.auth.cli:check",
    "serve": "waterbill.web.cli:serve",
    "dev-token": "waterbill.auth.devidp.cli:dev_token",
    "demo-data": "waterbill.demo.cli:demo_data",
    "import": "waterbill.ingest.cli:import_command",
    "channels": "waterbill.ingest.cli:channels",
    "verify": "waterbill.documents.cli:verify",
    "maintenance": "waterbill.ops.cli:maintenance",
    "disputes": "waterbill.disputes.cli:disputes",
    "export": "waterbill.readings.cli:export",
    "readings": "waterbill.readings.cli:readings",
    "worker": "waterbill.notifications.cli:worker",
    "mail-sink": "waterbill.notifications.cli:mail_sink",
}


class _Commands(click.Group):
    """A group that imports a command where it is defined, when it is asked for (the
    lazy-loading recipe of click's documentation)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            module, name = _COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Azərsu: invoices and payments of the last 12 months by subscriber code."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    from waterbill.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    click.echo("database is at the newest schema")


@main.command()
@click.argument("code")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Baku date the 12 months end with (default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of the API.")
def statement(code: str, as_of: object, as_json: bool) -> None:
    """Print the statement of CODE exactly as the web shows it."""
    from waterbill.access.views import operator_statement
    from waterbill.db.database import Database
    from waterbill.errors import ServiceError
    from waterbill.i18n.messages import refusal_message
    from waterbill.performance.service import record_statement_view
    from waterbill.statement.schemas import StatementOut
    from waterbill.statement.text import render_text

    settings = get_settings()
    database = Database(settings)
    day: date | None = as_of.date() if as_of is not None else None  # type: ignore[attr-defined]
    started = time.perf_counter()
    try:
        result = operator_statement(database=database, code=code, as_of=day)
        # Counted among the statements shown, as the channel "cli" (an Azərsu office).
        record_statement_view(
            database=database, channel="cli", outcome="shown", seconds=time.perf_counter() - started
        )
    except ServiceError as error:
        record_statement_view(database=database, channel="cli", outcome=error.code, seconds=None)
        message = refusal_message(error, "az")
        if as_json:
            # Scripts read the same stable codes as the API's callers, on standard output.
            refusal = {"error": {"code": error.code, "message": message}}
            click.echo(json.dumps(refusal, ensure_ascii=False))
        else:
            click.echo(message, err=True)
        sys.exit(2)
    finally:
        database.dispose()
    if as_json:
        click.echo(
            json.dumps(
                StatementOut.from_statement(result).model_dump(mode="json"),
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(render_text(result))


if __name__ == "__main__":
    main()
