"""The performance report as people read it: figures formatted per language, "< 10" where the
small-cell rule hides one, and three server-drawn charts of the 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date
from markupsafe import Markup

from waterbill.i18n.catalogs import translations
from waterbill.i18n.formatting import format_number
from waterbill.i18n.marker import _
from waterbill.performance.domain import CHANNELS, small
from waterbill.performance.service import DayFigures, Report
from waterbill.presentation.chart import INVOICED, PAID, WATER, Series, bar_chart

HIDDEN = "< 10"


TEXTS = {
    "views": _("Statements shown per day"),
    "availability": _("Availability per day, %"),
    "response": _("Response time of the statement per day, ms"),
    "median": _("Median"),
    "p95": _("95th percentile"),
    "summary": _(
        "From %(first)s to %(last)s. Every figure is also in the table below; a day with fewer "
        "than 10 events has no bar."
    ),
}


@dataclass(frozen=True, slots=True)
class DayRow:
    date: str
    views: str
    by_channel: tuple[str, ...]
    median_ms: str
    p95_ms: str
    sign_ins: str
    completions: str
    downloads: str
    availability: str
    disputes_filed: str
    disputes_answered: str


@dataclass(frozen=True, slots=True)
class PerformanceView:
    locale: str
    first: str
    last: str
    availability: str
    minutes_maintenance: str
    minutes_outage: str
    views: str
    by_channel: tuple[tuple[str, str], ...]
    median_ms: str
    p95_ms: str
    sign_ins: str
    completion_rate: str
    downloads: str
    certificates: str
    disputes_filed: str
    disputes_answered: str
    median_hours_to_answer: str
    responses: str
    satisfaction_mean: str
    user_satisfaction: str
    digital_take_up: str
    cost_per_transaction: str
    rows: tuple[DayRow, ...]
    charts: Markup


def _count(value: int, locale: str) -> str:
    return HIDDEN if small(value) else format_number(Decimal(value), "#,##0", locale)


def _figure(value: float | None, events: int, pattern: str, locale: str, *, none: str) -> str:
    if small(events):
        return HIDDEN
    if value is None:
        return none
    return format_number(Decimal(str(value)), pattern, locale)


def _percent(value: float | None, events: int, locale: str, *, none: str) -> str:
    shown = _figure(None if value is None else value * 100, events, "0.##", locale, none=none)
    return shown if shown in (HIDDEN, none) else f"{shown} %"


def performance_view(report: Report, locale: str) -> PerformanceView:
    none = "—"
    total = report.total

    def day_label(day: DayFigures) -> str:
        return str(format_date(day.day, "d MMM", locale=locale))

    rows = tuple(
        DayRow(
            date=day_label(day),
            views=_count(day.views, locale),
            by_channel=tuple(_count(day.shown_by_channel[c], locale) for c in CHANNELS),
            median_ms=_figure(day.median_ms, day.latency_count, "#,##0", locale, none=none),
            p95_ms=_figure(day.p95_ms, day.latency_count, "#,##0", locale, none=none),
            sign_ins=_count(day.sign_ins, locale),
            completions=_count(day.completions, locale),
            downloads=_count(day.downloads, locale),
            availability=_percent(day.availability.ratio, 0, locale, none=none),
            disputes_filed=_count(day.disputes_filed, locale),
            disputes_answered=_count(day.disputes_answered, locale),
        )
        for day in report.days
    )
    first = str(format_date(report.first, "d MMMM y", locale=locale))
    last = str(format_date(report.last, "d MMMM y", locale=locale))
    kpis = report.kpis
    return PerformanceView(
        locale=locale,
        first=first,
        last=last,
        availability=_percent(total.availability.ratio, 0, locale, none=none),
        minutes_maintenance=format_number(Decimal(total.availability.maintenance), "#,##0", locale),
        minutes_outage=format_number(Decimal(total.availability.outage), "#,##0", locale),
        views=_count(total.views, locale),
        by_channel=tuple((c, _count(total.shown_by_channel[c], locale)) for c in CHANNELS),
        median_ms=_figure(total.median_ms, total.latency_count, "#,##0", locale, none=none),
        p95_ms=_figure(total.p95_ms, total.latency_count, "#,##0", locale, none=none),
        sign_ins=_count(total.sign_ins, locale),
        completion_rate=_percent(report.completion_rate, total.sign_ins, locale, none=none),
        downloads=_count(total.downloads, locale),
        certificates=_count(total.certificates, locale),
        disputes_filed=_count(total.disputes_filed, locale),
        disputes_answered=_count(total.disputes_answered, locale),
        median_hours_to_answer=_figure(
            report.median_hours_to_answer, len(report.answer_hours), "#,##0.#", locale, none=none
        ),
        responses=_count(total.responses, locale),
        satisfaction_mean=_figure(
            report.satisfaction_mean, total.responses, "0.0", locale, none=none
        ),
        user_satisfaction=_percent(report.user_satisfaction, total.responses, locale, none=none),
        digital_take_up=_percent(kpis.digital_take_up, 0, locale, none=none),
        cost_per_transaction=(
            none
            if kpis.cost_per_transaction is None
            else format_number(kpis.cost_per_transaction, "#,##0.00", locale) + " ₼"
        ),
        rows=rows,
        charts=_charts(report, locale, first, last),
    )


def _charts(report: Report, locale: str, first: str, last: str) -> Markup:
    translate = translations(locale).gettext
    labels = [str(day.day.day) for day in report.days]
    summary = translate(TEXTS["summary"]) % {"first": first, "last": last}

    def integer(value: Decimal) -> str:
        return format_number(value, "#,##0", locale)

    def decimal(value: Decimal) -> str:  # an empty axis runs from 0 to 1
        return format_number(value, "#,##0.#", locale)

    def hidden_or(value: float | int | None, events: int) -> Decimal | None:
        if value is None or small(events) or events == 0:
            return None
        return Decimal(str(round(value, 1)))

    views = bar_chart(
        "views",
        translate(TEXTS["views"]),
        summary,
        labels,
        [
            Series(
                translate(TEXTS["views"]), WATER, [hidden_or(d.views, d.views) for d in report.days]
            )
        ],
        integer,
    ).svg("performance")
    ratios = [
        None if d.availability.ratio is None else Decimal(str(round(d.availability.ratio * 100, 2)))
        for d in report.days
    ]
    availability = bar_chart(
        "availability",
        translate(TEXTS["availability"]),
        summary,
        labels,
        [Series(translate(TEXTS["availability"]), INVOICED, ratios)],
        decimal,
    ).svg("performance")
    response = bar_chart(
        "response",
        translate(TEXTS["response"]),
        summary,
        labels,
        [
            Series(
                translate(TEXTS["median"]),
                WATER,
                [hidden_or(d.median_ms, d.latency_count) for d in report.days],
            ),
            Series(
                translate(TEXTS["p95"]),
                PAID,
                [hidden_or(d.p95_ms, d.latency_count) for d in report.days],
            ),
        ],
        decimal,
    ).svg("performance")
    return Markup("\n").join([views, availability, response])
