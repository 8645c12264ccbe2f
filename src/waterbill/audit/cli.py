"""``waterbill audit verify | prune | query``: a thin shell over the audit service."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time, timedelta

import click

from waterbill import clock
from waterbill.audit import service
from waterbill.audit.tags import EventTag
from waterbill.calendar import BAKU
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.errors import ServiceError


@click.group()
def audit() -> None:
    """The access log: verify its hash chain, prune old rows, query who viewed what."""


@audit.command("verify")
def verify() -> None:
    """Check every chain; exit 1 and name the first changed, deleted or reordered row."""
    database = Database(get_settings())
    try:
        with database.primary.connect() as connection:
            if database.dialect == "postgresql":
                # One snapshot for the whole walk: a prune running meanwhile cannot confuse it.
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                report = service.verify_chain(db=connection)
        with database.write() as db:
            service.record_event(
                db=db,
                tag=EventTag.ADMIN_AUDIT_VERIFY,
                actor=None,
                channel="cli",
                details={"intact": report.intact, "rows_checked": report.rows_checked},
            )
    finally:
        database.dispose()
    click.echo(report.describe(), err=not report.intact)
    if not report.intact:
        sys.exit(1)


@audit.command("prune")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=None,
    help="Remove rows older than this many days (default: WATERBILL_AUDIT_RETENTION_DAYS).",
)
def prune(days: int | None) -> None:
    """Remove old rows; the hash of the last removed row is kept so the chain still verifies."""
    settings = get_settings()
    cutoff = clock.now() - timedelta(days=days or settings.audit_retention_days)
    database = Database(settings)
    try:
        with database.write() as db:
            result = service.prune(db=db, older_than=cutoff)
    except service.ChainBroken as error:
        click.echo(f"not pruned: {error}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    if not result.anchors:
        click.echo(f"nothing older than {cutoff:%Y-%m-%d %H:%M} UTC to prune")
        return
    chains = len(result.anchors)
    click.echo(f"pruned {result.rows_pruned} rows from {chains} chain{'' if chains == 1 else 's'}")
    for anchor in result.anchors:
        click.echo(f"  chain {anchor.chain}: up to row {anchor.seq}; anchor {anchor.row_hash}")


@audit.command("query")
@click.option("--code", default=None, help="A subscriber code.")
@click.option("--citizen", "fin", default=None, help="A citizen's FIN (looked up by pseudonym).")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Baku date to start from (default: 7 days ago).",
)
def query(code: str | None, fin: str | None, since: datetime | None) -> None:
    """Views per hour, refusals, and the citizens who viewed the most distinct codes."""
    if code is not None and fin is not None:
        raise click.UsageError("give --code or --citizen, not both")
    settings = get_settings()
    start = datetime.combine(since.date(), time(), BAKU) if since is not None else None
    database = Database(settings)
    try:
        report = service.operator_oversight(
            database=database, code=code, citizen_fin=fin, since=start
        )
    except ServiceError as error:
        click.echo(f"{error.code}: {error.params}", err=True)
        sys.exit(2)
    finally:
        database.dispose()
    scope = report.subscriber_code or (f"citizen {report.actor}" if report.actor else "all codes")
    click.echo(f"Access log for {scope}, since {report.since.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    click.echo("\nViews per hour (UTC)      full  masked  refused")
    for hour in report.per_hour:
        click.echo(f"  {hour.hour:<22}{hour.full:>6}{hour.masked:>8}{hour.refused:>9}")
    if not report.per_hour:
        click.echo("  none")
    click.echo("\nRefusals (newest first)")
    for event in report.refusals:
        click.echo(
            f"  {event.occurred_at:%Y-%m-%d %H:%M:%S}  {event.actor or 'anonymous':<34}  "
            f"{event.subscriber_code or '-':<13}  {event.channel:<3}  {event.reason}"
        )
    if not report.refusals:
        click.echo("  none")
    click.echo("\nCitizens who viewed the most distinct codes")
    for viewer in report.top_viewers:
        click.echo(
            f"  {viewer.actor:<34}  {viewer.distinct_codes:>6} codes  {viewer.views:>7} views"
        )
    if not report.top_viewers:
        click.echo("  none")
