"""The 12 months as inline SVG, drawn on the server: no JavaScript, no image requests.

Three small charts share one month axis: the water volume per service, the amount invoiced
against the amount paid, and the balance at each month's end. Each is a ``role="img"`` with a
``<title>`` and a ``<desc>`` that points to the statement table, which is the text alternative
holding every figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

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

# Colours of the palette in waterbill.css; each has at least 3:1 contrast on white (WCAG 1.4.11).
WATER = "#0a5c7a"
WASTEWATER = "#5b7d8c"
INVOICED = "#0a5c7a"
PAID = "#9a6200"
BALANCE = "#1d2a33"
GRID = "#c9d3d9"


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


def statement_charts(view: StatementView, *, id_prefix: str = "chart") -> Markup:
    """The three charts, each an accessible inline ``<svg>``."""
    return Markup("\n").join(svg for _, svg in chart_list(view, id_prefix=id_prefix))


def chart_list(
    view: StatementView, *, id_prefix: str = "chart", font_family: str | None = None
) -> list[tuple[str, Markup]]:
    """Each chart's title with its ``<svg>``; ``font_family`` names the font for a PDF renderer
    (a web page's SVG inherits the page's font)."""
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

    consumption = _bars(
        f"{id_prefix}-consumption",
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
        font_family,
    )
    money_chart = _bars(
        f"{id_prefix}-money",
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
        font_family,
    )
    balance = _line(
        f"{id_prefix}-balance",
        f"{gettext(TEXTS['balance'])}, {currency}",
        summary,
        months,
        Series(gettext(TEXTS["balance_line"]), BALANCE, month_end_balances(statement)),
        money,
        font_family,
    )
    return [
        (f"{gettext(TEXTS['consumption'])}", consumption),
        (f"{gettext(TEXTS['money'])}, {currency}", money_chart),
        (f"{gettext(TEXTS['balance'])}, {currency}", balance),
    ]


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


def _coordinate(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1")))


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


def _open(chart_id: str, title: str, desc: str, font_family: str | None) -> list[str]:
    font = f' font-family="{escape(font_family)}"' if font_family else ""
    return [
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="13"{font}>',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _axes(
    frame: _Frame, months: Sequence[str], ticks: Sequence[Decimal], label: Callable[[Decimal], str]
) -> list[str]:
    parts = []
    for tick in ticks:
        y = _coordinate(frame.y(tick))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="{GRID}"'
            + (' stroke-width="2"' if tick == 0 else "")
            + "/>"
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#3d4b55">{escape(label(tick))}</text>'
        )
    baseline = HEIGHT - BOTTOM + 16
    for index, month in enumerate(months):
        x = _coordinate(frame.x(index) + frame.slot / 2)
        parts.append(
            f'<text x="{x}" y="{baseline}" text-anchor="middle" fill="#3d4b55">'
            f"{escape(month)}</text>"
        )
    return parts


def _legend(series: Sequence[Series], *, line: bool = False) -> list[str]:
    parts = []
    x = LEFT
    y = HEIGHT - 10
    for item in series:
        if line:
            parts.append(
                f'<line x1="{x}" x2="{x + 16}" y1="{y - 4}" y2="{y - 4}" stroke="{item.colour}" '
                'stroke-width="3"/>'
            )
        else:
            parts.append(
                f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{item.colour}"/>'
            )
        parts.append(f'<text x="{x + 20}" y="{y}" fill="#1d2a33">{escape(item.name)}</text>')
        x += 40 + 8 * len(item.name)
    return parts


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


def _bars(
    chart_id: str,
    title: str,
    desc: str,
    months: Sequence[str],
    series: Sequence[Series],
    label: Callable[[Decimal], str],
    font_family: str | None,
) -> Markup:
    values = [value for item in series for value in item.values if value is not None]
    top = nice_ceiling(max(values, default=Decimal(0)))
    frame = _Frame(Decimal(0), top, len(months))
    parts = _open(chart_id, title, desc, font_family)
    parts += _axes(frame, months, _ticks(top), label)
    gap = frame.slot / 5
    width = (frame.slot - gap) / len(series)
    for position, item in enumerate(series):
        for index, value in enumerate(item.values):
            if value is None or value <= 0:
                continue
            y = frame.y(value)
            parts.append(
                f'<rect x="{_coordinate(frame.x(index) + gap / 2 + width * position)}" '
                f'y="{_coordinate(y)}" width="{_coordinate(width)}" '
                f'height="{_coordinate(frame.y(Decimal(0)) - y)}" fill="{item.colour}"/>'
            )
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in parts went through escape()


def _line(
    chart_id: str,
    title: str,
    desc: str,
    months: Sequence[str],
    series: Series,
    label: Callable[[Decimal], str],
    font_family: str | None,
) -> Markup:
    values = [value for value in series.values if value is not None]
    highest, lowest = max(values, default=Decimal(0)), min(values, default=Decimal(0))
    high = nice_ceiling(highest) if highest > 0 else Decimal(0)
    low = -nice_ceiling(-lowest) if lowest < 0 else Decimal(0)
    if high == low:
        high = Decimal(1)
    frame = _Frame(low, high, len(months))
    parts = _open(chart_id, title, desc, font_family)
    parts += _axes(frame, months, _ticks(high, low), label)
    points = [
        (frame.x(index) + frame.slot / 2, frame.y(value))
        for index, value in enumerate(series.values)
        if value is not None
    ]
    path = " ".join(f"{_coordinate(x)},{_coordinate(y)}" for x, y in points)
    parts.append(
        f'<polyline points="{path}" fill="none" stroke="{series.colour}" stroke-width="2.5"/>'
    )
    for x, y in points:
        parts.append(
            f'<circle cx="{_coordinate(x)}" cy="{_coordinate(y)}" r="3.5" fill="{series.colour}"/>'
        )
    parts += _legend([series], line=True)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in parts went through escape()
