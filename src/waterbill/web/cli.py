"""``waterbill serve``: the web service under uvicorn."""

from __future__ import annotations

import os

import click
from fastapi import FastAPI

from waterbill.config import Settings, get_settings
from waterbill.db.database import Database
from waterbill.ops.logs import configure_logging


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes answering on the port; they share nothing in memory, only the stores.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    from waterbill.web.app import create_app

    settings = get_settings()
    if settings.is_development and not settings.public_url:
        # Through the environment, so that every worker process builds the same settings.
        os.environ["WATERBILL_PUBLIC_URL"] = f"http://{host}:{port}"
        get_settings.cache_clear()
        settings = get_settings()
    click.echo(f"waterbill: {settings.base_url}/")
    configure_logging(settings.log_level)
    if settings.dev_idp_enabled:
        _show_demo_citizen(settings)
    else:
        _check_sign_in(settings)
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            proxy_headers=True,
            server_header=False,
            log_config=None,
            access_log=False,
        )
    else:
        uvicorn.run(
            "waterbill.web.cli:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            proxy_headers=True,
            server_header=False,
            log_config=None,
            access_log=False,
        )


def worker_app() -> FastAPI:
    """The app in one of ``--workers`` processes: settings from the environment, JSON logs."""
    from waterbill.web.app import create_app

    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def _check_sign_in(settings: Settings) -> None:
    """A provider that answers wrongly stops the start; one that does not answer only warns.

    A wrong issuer or path never heals by itself and must be named now, not at the first
    citizen's sign-in; an outage of the provider should not keep statements for API clients
    and signed-in citizens down (sign-in answers 503 until the provider is back).
    """
    from waterbill.auth.cli import check_sign_in

    failure = check_sign_in(settings)
    if failure is not None and failure.params.get("misconfigured"):
        raise click.ClickException(
            "the e-gov sign-in is misconfigured (see above); fix WATERBILL_OIDC_* or run "
            "`waterbill check`"
        )


def _show_demo_citizen(settings: Settings) -> None:
    from waterbill.auth.devidp.service import demo_sign_in

    database = Database(settings)
    try:
        with database.read() as db:
            demo = demo_sign_in(db=db)
    finally:
        database.dispose()
    if demo is None:
        click.echo("no subscribers yet: load demo data with `waterbill demo-data`")
    else:
        fin, full_name, code = demo
        click.echo(f"sign in as the demo citizen {full_name}, FIN {fin}; subscriber code {code}")
