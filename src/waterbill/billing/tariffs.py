"""Household and non-household water tariffs (AZN per m³, VAT included), as pure data.

Sources: Tariff Council decisions No. 01 (2011-02-01), No. 6 (2016-05-16) and No. 5 (2021-02-01);
see ``domain-facts.md``. A billing month is charged at the tariff in force on its first day, so a
decision taking effect in the middle of a month applies from the next month on. The demo data and
the importer's data-quality check both read tariffs from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

QEPIK = Decimal("0.01")
LITRE = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class TariffDecision:
    in_force_from: date
    decision: str
    water_baku_absheron: Decimal
    water_regions: Decimal
    wastewater: Decimal


HOUSEHOLD_TARIFFS: tuple[TariffDecision, ...] = (
    TariffDecision(date(2011, 2, 1), "No. 01", Decimal("0.30"), Decimal("0.25"), Decimal("0.06")),
    TariffDecision(date(2016, 5, 16), "No. 6", Decimal("0.35"), Decimal("0.30"), Decimal("0.15")),
    TariffDecision(date(2021, 2, 1), "No. 5", Decimal("0.70"), Decimal("0.60"), Decimal("0.30")),
)

# Only the 2021 non-household water tariff is published in the facts; earlier ones are unknown and
# a wastewater tariff for non-households is not published at all.
NON_HOUSEHOLD_WATER: tuple[tuple[date, Decimal], ...] = ((date(2021, 2, 1), Decimal("1.00")),)

# The places whose water is billed at the Baku-Absheron tariff.
BAKU_ABSHERON_PLACES = frozenset({"Bakı", "Sumqayıt", "Xırdalan", "Abşeron"})


class UnknownTariff(LookupError):
    """No published tariff covers this day, zone, service and category."""


def tariff_zone_of(place: str) -> str:
    """``baku_absheron`` for Baku, Sumqayıt, Xırdalan and Abşeron; ``regions`` elsewhere."""
    return "baku_absheron" if place in BAKU_ABSHERON_PLACES else "regions"


def tariff_on(day: date, *, zone: str, service: str, category: str = "population") -> Decimal:
    """The tariff in force on ``day``; raises UnknownTariff before the first known decision."""
    if category == "non_population":
        if service != "water":
            raise UnknownTariff(f"no published non-household {service} tariff")
        in_force = [price for since, price in NON_HOUSEHOLD_WATER if since <= day]
        if not in_force:
            raise UnknownTariff(f"no published non-household water tariff on {day}")
        return in_force[-1]
    decisions = [decision for decision in HOUSEHOLD_TARIFFS if decision.in_force_from <= day]
    if not decisions:
        raise UnknownTariff(f"no published household tariff on {day}")
    decision = decisions[-1]
    if service == "wastewater":
        return decision.wastewater
    if service != "water":
        raise UnknownTariff(f"unknown service {service!r}")
    if zone == "baku_absheron":
        return decision.water_baku_absheron
    if zone == "regions":
        return decision.water_regions
    raise UnknownTariff(f"unknown tariff zone {zone!r}")


def tariff_for_period(
    year: int, month: int, *, zone: str, service: str, category: str = "population"
) -> Decimal:
    """The tariff a billing month is charged at: the one in force on the month's first day."""
    return tariff_on(date(year, month, 1), zone=zone, service=service, category=category)


def invoice_amount(consumption_m3: Decimal, tariff: Decimal) -> Decimal:
    """Consumption × tariff, rounded half-up to the qəpik."""
    return (consumption_m3 * tariff).quantize(QEPIK, rounding=ROUND_HALF_UP)
