"""``waterbill demo-data``: a thin shell over ``load_demo_data``."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from waterbill import clock
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.demo.generator import DemoCitizen
from waterbill.demo.service import DatabaseNotEmpty, default_processes, load_demo_data

_METERS = {"mechanical": "sayğac", "smart_card": "smart-kart sayğac", "none": "sayğacsız (norma)"}
_SERVICES = {"water": "su", "wastewater": "kanalizasiya"}


@click.command("demo-data")
@click.option("--subscribers", type=click.IntRange(1), required=True, help="Number of accounts.")
@click.option("--seed", type=int, required=True, help="The same seed gives the same data.")
@click.option(
    "--months", type=click.IntRange(1, 180), default=24, show_default=True, help="Months billed."
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Baku date taken as today (default: today); billing ends the month before.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when subscribers already exist.")
@click.option(
    "--processes",
    type=click.IntRange(1),
    default=None,
    help="Processes generating the data on PostgreSQL (default: one per CPU); same data.",
)
def demo_data(
    subscribers: int,
    seed: int,
    months: int,
    as_of: datetime | None,
    if_empty: bool,
    processes: int | None,
) -> None:
    """Load realistic demo subscribers, invoices and payments, deterministic for a seed."""
    settings = get_settings().for_bulk_work()
    database = Database(settings)
    today = as_of.date() if as_of is not None else clock.today()
    try:
        result = load_demo_data(
            database=database,
            subscribers=subscribers,
            seed=seed,
            months=months,
            as_of=today,
            norm_m3_per_person=settings.norm_m3_per_person,
            if_empty=if_empty,
            processes=processes or default_processes(),
        )
    except DatabaseNotEmpty as error:
        click.echo(
            f"Verilənlər bazasında artıq {error.subscribers} abonent var; demo məlumat yüklənmədi "
            "(the database is not empty: demo data not loaded; use --if-empty to skip quietly).",
            err=True,
        )
        sys.exit(2)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    finally:
        database.dispose()
    if not result.loaded:
        click.echo(
            f"Artıq {result.existing_subscribers} abonent var: demo məlumat yüklənmədi "
            f"({result.existing_subscribers} subscribers already exist: nothing loaded)."
        )
        return
    counts = result.counts
    click.echo(
        f"Yükləndi / loaded: {counts['subscribers']} abonent, {counts['invoices']} hesab, "
        f"{counts['revisions']} yenidən hesablama, {counts['payments']} ödəniş "
        f"(as of {today.isoformat()}, {months} ay)."
    )
    click.echo("Demo vətəndaşlar (FIN ilə daxil olun / sign in as / войти как):")
    for citizen in result.citizens:
        click.echo(_describe(citizen))


def _describe(citizen: DemoCitizen) -> str:
    lines = [f"  FIN {citizen.fin}  {citizen.surname} {citizen.name} {citizen.patronymic}"]
    for account in citizen.accounts:
        services = " + ".join(_SERVICES[service] for service in account.services)
        notes = [account.place, _METERS[account.meter_type], services]
        if account.category == "non_population":
            notes.append("qeyri-əhali / non-household")
        if account.status == "closed":
            notes.append("bağlı / closed")
        lines.append(f"      {account.code}  ({', '.join(notes)})")
    return "\n".join(lines)
