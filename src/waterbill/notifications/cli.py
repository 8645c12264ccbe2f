"""``waterbill worker`` and the development ``waterbill mail-sink``."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from waterbill.config import get_settings


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--interval", default=1.0, show_default=True, help="Seconds between looks at an empty outbox."
)
def worker(once: bool, interval: float) -> None:
    """Deliver notifications from the outbox (SMTP; SMS when a gateway is set)."""
    from waterbill.db.database import Database
    from waterbill.notifications.worker import Worker, senders_from
    from waterbill.ops.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        # The links in the mails are signed with the secret key: never a placeholder one.
        settings.check_secrets()
    except ValueError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    senders = senders_from(settings)
    if "email" not in senders:
        click.echo("WATERBILL_SMTP_URL is not set: the worker has no way to send mail", err=True)
        sys.exit(2)
    database = Database(settings)
    runner = Worker(database=database, settings=settings, senders=senders)
    try:
        if once:
            while runner.run_once():
                pass
            return
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        click.echo(f"worker {runner.name} delivering notifications", err=True)
        runner.run(stop, interval)
    finally:
        database.dispose()


@click.command("mail-sink")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True)
@click.option(
    "--dir",
    "directory",
    default="var/mail",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
def mail_sink(host: str, port: int, directory: Path) -> None:
    """Development only: an SMTP server that keeps every mail as a .eml file in DIR."""
    from waterbill.notifications.sink import mail_sink as start

    if get_settings().env == "production":
        click.echo("the mail sink is for development; production sends through WATERBILL_SMTP_URL")
        sys.exit(2)
    controller = start(directory, host=host, port=port)
    click.echo(f"mail sink on smtp://{host}:{port}, mails in {directory}/", err=True)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        controller.stop()
