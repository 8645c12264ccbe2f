"""The tariff schedule of domain-facts.md and the exact amount rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from waterbill.billing.tariffs import (
    UnknownTariff,
    invoice_amount,
    tariff_for_period,
    tariff_on,
    tariff_zone_of,
)


@pytest.mark.parametrize(
    ("day", "baku", "regions", "wastewater"),
    [
        (date(2011, 2, 1), "0.30", "0.25", "0.06"),
        (date(2016, 5, 15), "0.30", "0.25", "0.06"),
        (date(2016, 5, 16), "0.35", "0.30", "0.15"),
        (date(2021, 1, 31), "0.35", "0.30", "0.15"),
        (date(2021, 2, 1), "0.70", "0.60", "0.30"),
        (date(2026, 11, 26), "0.70", "0.60", "0.30"),
    ],
)
def test_each_decision_applies_from_the_day_it_takes_effect(
    day: date, baku: str, regions: str, wastewater: str
) -> None:
    assert tariff_on(day, zone="baku_absheron", service="water") == Decimal(baku)
    assert tariff_on(day, zone="regions", service="water") == Decimal(regions)
    assert tariff_on(day, zone="regions", service="wastewater") == Decimal(wastewater)
    assert tariff_on(day, zone="baku_absheron", service="wastewater") == Decimal(wastewater)


def test_a_month_is_billed_at_the_tariff_in_force_on_its_first_day() -> None:
    assert tariff_for_period(2016, 5, zone="baku_absheron", service="water") == Decimal("0.30")
    assert tariff_for_period(2016, 6, zone="baku_absheron", service="water") == Decimal("0.35")
    assert tariff_for_period(2021, 1, zone="regions", service="water") == Decimal("0.30")
    assert tariff_for_period(2021, 2, zone="regions", service="water") == Decimal("0.60")


def test_non_household_water_costs_one_manat_and_nothing_else_is_published() -> None:
    day = date(2025, 1, 1)
    assert tariff_on(day, zone="regions", service="water", category="non_population") == Decimal(
        "1.00"
    )
    with pytest.raises(UnknownTariff):
        tariff_on(day, zone="regions", service="wastewater", category="non_population")
    with pytest.raises(UnknownTariff):
        tariff_on(date(2020, 1, 1), zone="regions", service="water", category="non_population")


def test_no_tariff_is_invented_before_the_first_decision_or_for_unknown_zones() -> None:
    with pytest.raises(UnknownTariff):
        tariff_on(date(2011, 1, 31), zone="baku_absheron", service="water")
    with pytest.raises(UnknownTariff):
        tariff_on(date(2022, 1, 1), zone="moon", service="water")


@pytest.mark.parametrize(
    ("place", "zone"),
    [
        ("Bakı", "baku_absheron"),
        ("Sumqayıt", "baku_absheron"),
        ("Xırdalan", "baku_absheron"),
        ("Abşeron", "baku_absheron"),
        ("Gəncə", "regions"),
        ("Lənkəran", "regions"),
    ],
)
def test_baku_sumqayit_xirdalan_and_absheron_share_one_zone(place: str, zone: str) -> None:
    assert tariff_zone_of(place) == zone


def test_amounts_round_half_up_to_the_qepik() -> None:
    assert invoice_amount(Decimal("0.050"), Decimal("0.30")) == Decimal("0.02")  # 0.015
    assert invoice_amount(Decimal("10.333"), Decimal("0.30")) == Decimal("3.10")  # 3.0999
    assert invoice_amount(Decimal("7.000"), Decimal("0.70")) == Decimal("4.90")
    assert invoice_amount(Decimal("0.007"), Decimal("0.70")) == Decimal("0.00")  # 0.0049
