"""The inline SVG charts: accessible, drawn from the statement's own figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from tests.unit.presentation.builders import monthly, statement
from waterbill.presentation.chart import nice_ceiling, statement_charts
from waterbill.presentation.view import statement_view

SVG = "{http://www.w3.org/2000/svg}"
VOLUMES = ["10", "10", "11", "10", "9", "10", "10", "11", "10", "10", "10", "25"]


def charts(locale: str = "az", **options: object) -> list[ET.Element]:
    result = statement(monthly(VOLUMES), [("2026-03-10T10:00:00", "40.00")], **options)  # type: ignore[arg-type]
    markup = statement_charts(statement_view(result, locale), id_prefix="c")
    return list(ET.fromstring(f"<div>{markup}</div>"))  # noqa: S314 -- our own markup


@pytest.mark.parametrize(
    ("value", "top"),
    [
        ("0", "1"),
        ("0.4", "0.5"),
        ("7", "10"),
        ("10", "10"),
        ("11", "20"),
        ("25", "50"),
        ("130", "200"),
    ],
)
def test_an_axis_ends_at_a_round_value_above_the_highest(value: str, top: str) -> None:
    assert nice_ceiling(Decimal(value)) == Decimal(top)


def test_there_are_three_charts_each_an_image_named_by_its_title_and_description() -> None:
    svgs = charts()
    assert [svg.get("id") for svg in svgs] == ["c-consumption", "c-money", "c-balance"]
    for svg in svgs:
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_the_titles_and_month_labels_are_in_the_readers_language() -> None:
    consumption = charts("az")[0]
    assert consumption.findtext(f"{SVG}title") == "Aylar üzrə su sərfi, m³"
    assert "cədvəldə də var" in (consumption.findtext(f"{SVG}desc") or "")
    labels = [text.text for text in consumption.iter(f"{SVG}text")]
    assert "mar" in labels
    assert "noy" in labels
    assert "Su təchizatı" in labels


def test_bar_heights_are_proportional_to_the_water_used() -> None:
    bars = [rect for rect in charts()[0].iter(f"{SVG}rect") if rect.get("fill") == "#0a5c7a"]
    heights = [Decimal(rect.get("height", "0")) for rect in bars[:-1]]  # the last is the legend
    # December 10 m³ and the leaking November 25 m³ on an axis that ends at 50
    assert heights[-1] / heights[0] == Decimal("2.5")


def test_the_balance_chart_draws_one_point_per_month() -> None:
    balance = charts()[2]
    assert len(list(balance.iter(f"{SVG}circle"))) == 12
    assert len((balance.find(f"{SVG}polyline").get("points") or "").split()) == 12  # type: ignore[union-attr]


def test_money_axes_carry_short_labels_and_the_currency_in_the_title() -> None:
    money = charts("az")[1]
    assert money.findtext(f"{SVG}title") == "Aylar üzrə hesablanmış və ödənilmiş məbləğ, ₼"
    ticks = [text.text or "" for text in money.iter(f"{SVG}text")][:3]
    assert ticks == ["0", "25", "50"]
    assert charts("en")[2].findtext(f"{SVG}title") == "Balance at the end of each month, AZN"
