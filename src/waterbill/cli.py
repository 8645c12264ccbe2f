"""The ``waterbill`` command: a thin shell over the same service functions the web calls."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from waterbill.access.service import operator_statement
from waterbill.audit.cli import audit
from waterbill.auth.devidp.cli import dev_token
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.demo.cli import demo_data
from waterbill.disputes.cli import disputes
from waterbill.documents.cli import verify
from waterbill.errors import ServiceError
from waterbill.i18n.messages import error_message
from waterbill.ingest import cli as ingest_cli
from waterbill.ops.cli import maintenance
from waterbill.statement.schemas import StatementOut
from waterbill.statement.text import render_text
from waterbill.web.cli import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Azərsu: invoices and payments of the last 12 months by subscriber code."""


main.add_command(audit)


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
    settings = get_settings()
    database = Database(settings)
    day: date | None = as_of.date() if as_of is not None else None  # type: ignore[attr-defined]
    try:
        result = operator_statement(database=database, code=code, as_of=day)
    except ServiceError as error:
        click.echo(error_message(error.code, error.params, "az"), err=True)
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


main.add_command(serve)
main.add_command(dev_token)
main.add_command(demo_data)
main.add_command(ingest_cli.import_command)
main.add_command(ingest_cli.channels)
main.add_command(verify)
main.add_command(maintenance)
main.add_command(disputes)


if __name__ == "__main__":
    main()
