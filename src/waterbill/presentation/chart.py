"""The 12 months as inline SVG, drawn on the server: no JavaScript, no image requests.

Three small charts share one month axis: the water volume per service, the amount invoiced
against the amount paid, and the balance at each month's end. Each is a ``role="img"`` with a
``<title>`` and a ``<desc>`` that points to the statement table, which is the text alternative
holding every figure. The charts are shapes first, so that the PDF draws the same ones with its
own drawing calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from markupsafe import Markup, escape

from waterbill.i18n.catalogs import translations
from waterbill.i18n.formatting import format_month_abbreviated, format_number
from waterbill.i18n.marker import _
from waterbill.presentation.view import StatementView, month_end_balances

WIDTH = 640
HEIGHT = 200
LEFT = 64  # room for the value labels of the y axis
RIGHT = 8
TOP = 12
BOTTOM = 40  # room for the month labels and the legend
FONT_SIZE = 13

# Colours of the palette in waterbill.css; each has at least 3:1 contrast on white (WCAG 1.4.11).
WATER = "#0a5c7a"
WASTEWATER = "#5b7d8c"
INVOICED = "#0a5c7a"
PAID = "#9a6200"
BALANCE = "#1d2a33"
GRID = "#c9d3d9"
AXIS_TEXT = "#3d4b55"
LEGEND_TEXT = "#1d2a33"


TEXTS = {
    "consumption": _("Water used per month, m³"),
    "money": _("Invoiced and paid per month"),
    "balance": _("Balance at the end of each month"),
    "summary": _("From %(first)s to %(last)s. Every figure is also in the statement table."),
    "water": _("Water supply"),
    "wastewater": _("Wastewater"),
    "invoiced": _("Invoiced"),
    "paid": _("Paid"),
    "balance_line": _("Balance (above zero: debt)"),
}


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str
    values: Sequence[Decimal | None]


# The shapes of a chart, in the viewBox's units; the page draws them as SVG, the PDF with its own
# drawing calls (fpdf2 reading the SVG back cost a quarter of the PDF's CPU, issue 21).
@dataclass(frozen=True, slots=True)
class Box:
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    colour: str


@dataclass(frozen=True, slots=True)
class Rule:
    x1: Decimal
    x2: Decimal
    y1: Decimal
    y2: Decimal
    colour: str
    width: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class Trace:
    """An open line through the points, not filled."""

    points: tuple[tuple[Decimal, Decimal], ...]
    colour: str
    width: Decimal


@dataclass(frozen=True, slots=True)
class Dot:
    x: Decimal
    y: Decimal
    radius: Decimal
    colour: str


@dataclass(frozen=True, slots=True)
class Label:
    """Text whose baseline starts at (x, y), or ends there or is centred on x (``anchor``);
    ``centred`` asks a renderer that can to centre the text vertically on y instead."""

    x: Decimal
    y: Decimal
    text: str
    colour: str
    anchor: Literal["start", "middle", "end"] = "start"
    centred: bool = False


Shape = Box | Rule | Trace | Dot | Label


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    desc: str
    shapes: tuple[Shape, ...]

    def svg(self, id_prefix: str) -> Markup:
        """The chart as an accessible inline ``<svg>`` with the id ``{id_prefix}-{name}``."""
        chart_id = f"{id_prefix}-{self.name}"
        parts = [
            f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
            f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT_SIZE}">',
            f'<title id="{chart_id}-title">{escape(self.title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(self.desc)}</desc>',
        ]
        parts += [_svg_element(shape) for shape in self.shapes]
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 -- every text in parts went through escape()


def _svg_element(shape: Shape) -> str:
    match shape:
        case Box(x, y, width, height, colour):
            return f'<rect x="{x}" y="{y}" width="{width}" height="{height}" fill="{colour}"/>'
        case Rule(x1, x2, y1, y2, colour, width):
            stroke = f'stroke="{colour}"' + ("" if width == 1 else f' stroke-width="{width}"')
            return f'<line x1="{x1}" x2="{x2}" y1="{y1}" y2="{y2}" {stroke}/>'
        case Trace(points, colour, width):
            path = " ".join(f"{x},{y}" for x, y in points)
            return (
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"/>'
            )
        case Dot(x, y, radius, colour):
            return f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{colour}"/>'
        case Label(x, y, text, colour, anchor, centred):
            placing = "" if anchor == "start" else f' text-anchor="{anchor}"'
            if centred:
                placing += ' dominant-baseline="middle"'
            return f'<text x="{x}" y="{y}"{placing} fill="{colour}">{escape(text)}</text>'
    raise AssertionError(f"unknown shape {shape!r}")


def statement_charts(view: StatementView, *, id_prefix: str = "chart") -> Markup:
    """The three charts, each an accessible inline ``<svg>``."""
    return Markup("\n").join(chart.svg(id_prefix) for chart in chart_list(view))


def chart_list(view: StatementView) -> list[Chart]:
    """The statement's three charts: the water used, the money, the balance."""
    gettext = translations(view.locale).gettext
    statement = view.statement
    months = [format_month_abbreviated(month.period, view.locale) for month in statement.months]
    summary = gettext(TEXTS["summary"]) % dict(first=view.first_month, last=view.last_month)

    def volume(value: Decimal) -> str:
        return format_number(value, "#,##0.#", view.locale)

    # Axis labels stay short (the currency goes in the title) so that they fit beside the axis.
    currency = "₼" if view.locale == "az" else "AZN"

    def money(value: Decimal) -> str:
        return format_number(value, "#,##0.##", view.locale)

    consumption = bar_chart(
        "consumption",
        gettext(TEXTS["consumption"]),
        summary,
        months,
        [
            Series(
                gettext(TEXTS["water"]),
                WATER,
                [m.water.consumption_m3 if m.water else None for m in statement.months],
            ),
            Series(
                gettext(TEXTS["wastewater"]),
                WASTEWATER,
                [m.wastewater.consumption_m3 if m.wastewater else None for m in statement.months],
            ),
        ],
        volume,
    )
    money_chart = bar_chart(
        "money",
        f"{gettext(TEXTS['money'])}, {currency}",
        summary,
        months,
        [
            Series(
                gettext(TEXTS["invoiced"]),
                INVOICED,
                [m.invoiced if m.billed else None for m in statement.months],
            ),
            Series(gettext(TEXTS["paid"]), PAID, [m.paid for m in statement.months]),
        ],
        money,
    )
    balance = line_chart(
        "balance",
        f"{gettext(TEXTS['balance'])}, {currency}",
        summary,
        months,
        Series(gettext(TEXTS["balance_line"]), BALANCE, month_end_balances(statement)),
        money,
    )
    return [consumption, money_chart, balance]


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 × 10ⁿ at least ``value``: a round top for an axis."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    raise AssertionError("unreachable: 10 × 10ⁿ always covers a value of that magnitude")


def _coordinate(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"))


class _Frame:
    """Maps values to the drawing area, between ``low`` and ``high``."""

    def __init__(self, low: Decimal, high: Decimal, slots: int) -> None:
        self.low, self.high = low, high
        self.plot_height = Decimal(HEIGHT - TOP - BOTTOM)
        self.slot = Decimal(WIDTH - LEFT - RIGHT) / slots

    def y(self, value: Decimal) -> Decimal:
        return TOP + (self.high - value) / (self.high - self.low) * self.plot_height

    def x(self, index: int) -> Decimal:
        return LEFT + self.slot * index


def _axes(
    frame: _Frame, months: Sequence[str], ticks: Sequence[Decimal], label: Callable[[Decimal], str]
) -> list[Shape]:
    shapes: list[Shape] = []
    for tick in ticks:
        y = _coordinate(frame.y(tick))
        width = Decimal(2) if tick == 0 else Decimal(1)
        shapes.append(Rule(Decimal(LEFT), Decimal(WIDTH - RIGHT), y, y, GRID, width))
        shapes.append(Label(Decimal(LEFT - 6), y, label(tick), AXIS_TEXT, "end", centred=True))
    baseline = Decimal(HEIGHT - BOTTOM + 16)
    for index, month in enumerate(months):
        x = _coordinate(frame.x(index) + frame.slot / 2)
        shapes.append(Label(x, baseline, month, AXIS_TEXT, "middle"))
    return shapes


def _legend(series: Sequence[Series], *, line: bool = False) -> list[Shape]:
    shapes: list[Shape] = []
    x = Decimal(LEFT)
    y = Decimal(HEIGHT - 10)
    for item in series:
        if line:
            shapes.append(Rule(x, x + 16, y - 4, y - 4, item.colour, Decimal(3)))
        else:
            shapes.append(Box(x, y - 10, Decimal(12), Decimal(12), item.colour))
        shapes.append(Label(x + 20, y, item.name, LEGEND_TEXT))
        x += 40 + 8 * len(item.name)
    return shapes


def _ticks(top: Decimal, bottom: Decimal = Decimal(0)) -> list[Decimal]:
    if bottom < 0:
        # a tick close to zero would print over the zero label
        ticks = {Decimal(0)}
        if -bottom * 8 >= top:
            ticks.add(bottom)
        if top * 8 >= -bottom:
            ticks.add(top)
        return sorted(ticks)
    return [Decimal(0), top / 2, top]


def bar_chart(
    name: str,
    title: str,
    desc: str,
    months: Sequence[str],
    series: Sequence[Series],
    label: Callable[[Decimal], str],
) -> Chart:
    """Bars side by side per month, one colour per series; no bar for a value of None or 0."""
    values = [value for item in series for value in item.values if value is not None]
    top = nice_ceiling(max(values, default=Decimal(0)))
    frame = _Frame(Decimal(0), top, len(months))
    shapes = _axes(frame, months, _ticks(top), label)
    gap = frame.slot / 5
    width = (frame.slot - gap) / len(series)
    for position, item in enumerate(series):
        for index, value in enumerate(item.values):
            if value is None or value <= 0:
                continue
            y = frame.y(value)
            shapes.append(
                Box(
                    _coordinate(frame.x(index) + gap / 2 + width * position),
                    _coordinate(y),
                    _coordinate(width),
                    _coordinate(frame.y(Decimal(0)) - y),
                    item.colour,
                )
            )
    shapes += _legend(series)
    return Chart(name, title, desc, tuple(shapes))


def line_chart(
    name: str,
    title: str,
    desc: str,
    months: Sequence[str],
    series: Series,
    label: Callable[[Decimal], str],
) -> Chart:
    """One line with a dot per month; the axis takes in zero and any value below it."""
    values = [value for value in series.values if value is not None]
    highest, lowest = max(values, default=Decimal(0)), min(values, default=Decimal(0))
    high = nice_ceiling(highest) if highest > 0 else Decimal(0)
    low = -nice_ceiling(-lowest) if lowest < 0 else Decimal(0)
    if high == low:
        high = Decimal(1)
    frame = _Frame(low, high, len(months))
    shapes = _axes(frame, months, _ticks(high, low), label)
    points = tuple(
        (_coordinate(frame.x(index) + frame.slot / 2), _coordinate(frame.y(value)))
        for index, value in enumerate(series.values)
        if value is not None
    )
    shapes.append(Trace(points, series.colour, Decimal("2.5")))
    shapes += [Dot(x, y, Decimal("3.5"), series.colour) for x, y in points]
    shapes += _legend([series], line=True)
    return Chart(name, title, desc, tuple(shapes))
