"""``waterbill dev-token``: a bearer token of the bundled provider, for API calls in development."""

from __future__ import annotations

import sys

import click

from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.identifiers import is_fin


@click.command("dev-token")
@click.option("--fin", required=True, help="The citizen's FIN (7 characters).")
@click.option(
    "--method",
    type=click.Choice(["e_signature", "asan_imza", "password"]),
    default="asan_imza",
    show_default=True,
    help="How the portal is said to have signed the citizen in.",
)
def dev_token(fin: str, method: str) -> None:
    """Print an access token of the development provider for FIN."""
    settings = get_settings()
    if not settings.dev_idp_enabled or not settings.is_development:
        click.echo("dev-token works only with WATERBILL_ENV=development", err=True)
        sys.exit(2)
    if not is_fin(fin):
        click.echo("a FIN has 7 characters: Latin capital letters (no I or O) and digits", err=True)
        sys.exit(2)
    database = Database(settings)
    try:
        with database.read() as db:
            claims = citizen_claims(db=db, fin=fin.strip().upper(), method=method)
    finally:
        database.dispose()
    click.echo(access_token(settings, claims=claims))
