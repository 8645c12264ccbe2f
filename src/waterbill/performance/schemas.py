"""The report as the contract's JSON and as the CSV's daily rows, with the small-cell rule.

A count of 1 to 9, and a figure drawn from so few events (a median, a rate, a mean), is ``null``
in the JSON, and its path is listed in ``"fewer_than_10"`` (a daily count also carries
``"fewer_than_10": true`` beside it): the shapes of the contract stay, and a client can tell
"hidden" from "no data", which is ``null`` and not listed.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from waterbill.ops.metrics import STATEMENT_RESULTS
from waterbill.performance.domain import CHANNELS, RATINGS, SMALL_CELL, rounded, shown_count, small
from waterbill.performance.service import DayFigures, Report

# The outcomes of a statement asked for, as the Prometheus metrics name them.
STATEMENT_OUTCOMES = STATEMENT_RESULTS


class _Hidden:
    """Collects the paths of the figures the small-cell rule hid."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def count(self, path: str, value: int) -> int | None:
        if small(value):
            self.paths.append(path)
        return shown_count(value)

    def derived(self, path: str, value: float | None, events: int, places: int) -> float | None:
        """A figure drawn from ``events`` events: hidden when they are 1 to 9."""
        if small(events):
            self.paths.append(path)
            return None
        return rounded(value, places)


def performance_json(report: Report) -> dict[str, Any]:
    hidden = _Hidden()
    total = report.total
    views = [
        {
            "date": figures.day.isoformat(),
            "count": shown_count(figures.views),
            "fewer_than_10": small(figures.views),
        }
        for figures in report.days
    ]
    latency_events = total.latency_count
    satisfaction_mean = hidden.derived(
        "satisfaction.mean", report.satisfaction_mean, total.responses, 2
    )
    completion = hidden.derived("completion_rate", report.completion_rate, total.sign_ins, 4)
    availability = total.availability
    body: dict[str, Any] = {
        "period_days": report.period_days,
        "first_date": report.first.isoformat(),
        "last_date": report.last.isoformat(),
        "availability": rounded(availability.ratio, 4),
        "availability_minutes": {
            "observed": availability.observed,
            "up": availability.up,
            "maintenance": availability.maintenance,
            "outage": availability.outage,
        },
        "statement_views_per_day": views,
        "statement_views": {
            "total": hidden.count("statement_views.total", total.views),
            "by_channel": {
                channel: hidden.count(
                    f"statement_views.by_channel.{channel}", total.shown_by_channel[channel]
                )
                for channel in CHANNELS
            },
            "by_outcome": {
                outcome: hidden.count(
                    f"statement_views.by_outcome.{outcome}", total.by_outcome[outcome]
                )
                for outcome in STATEMENT_OUTCOMES
            },
        },
        "median_response_ms": hidden.derived(
            "median_response_ms", total.median_ms, latency_events, 0
        ),
        "p95_response_ms": hidden.derived("p95_response_ms", total.p95_ms, latency_events, 0),
        "completion_rate": completion,
        "sign_ins": hidden.count("sign_ins", total.sign_ins),
        "downloads": hidden.count("downloads", total.downloads),
        "certificates": hidden.count("certificates", total.certificates),
        "disputes": {
            "filed": hidden.count("disputes.filed", total.disputes_filed),
            "answered": hidden.count("disputes.answered", total.disputes_answered),
            "median_hours_to_answer": hidden.derived(
                "disputes.median_hours_to_answer",
                report.median_hours_to_answer,
                len(report.answer_hours),
                1,
            ),
        },
        "satisfaction": {
            "responses": hidden.count("satisfaction.responses", total.responses),
            "mean": satisfaction_mean,
            "by_rating": {
                str(rating): hidden.count(f"satisfaction.by_rating.{rating}", total.ratings[rating])
                for rating in RATINGS
            },
        },
        "kpis": {
            "cost_per_transaction": (
                None
                if report.kpis.cost_per_transaction is None
                else f"{report.kpis.cost_per_transaction:.2f}"
            ),
            "digital_take_up": rounded(report.kpis.digital_take_up, 4),
            "completion_rate": completion,
            "user_satisfaction": hidden.derived(
                "kpis.user_satisfaction", report.user_satisfaction, total.responses, 4
            ),
        },
        "small_cell_minimum": SMALL_CELL,
    }
    body["fewer_than_10"] = hidden.paths
    return body


CSV_COLUMNS = (
    "date",
    "statement_views",
    *(f"statement_views_{channel}" for channel in CHANNELS),
    *(f"requests_{outcome}" for outcome in STATEMENT_OUTCOMES if outcome != "shown"),
    "median_response_ms",
    "p95_response_ms",
    "sign_ins",
    "sign_ins_reaching_a_statement",
    "downloads",
    "certificates",
    "disputes_filed",
    "disputes_answered",
    "minutes_observed",
    "minutes_up",
    "minutes_maintenance",
    "minutes_outage",
    "availability",
    "feedback_responses",
    "feedback_mean",
)
HIDDEN_CELL = "< 10"


def csv_rows(report: Report) -> list[list[str]]:
    """One row a day, oldest first: plain numbers, "< 10" for a hidden figure, empty for none."""

    def count(value: int) -> str:
        return HIDDEN_CELL if small(value) else str(value)

    def derived(value: float | None, events: int, places: int) -> str:
        if small(events):
            return HIDDEN_CELL
        shown = rounded(value, places)
        return "" if shown is None else f"{shown:.{places}f}"

    def row(figures: DayFigures) -> list[str]:
        minutes = figures.availability
        mean = (
            sum(rating * n for rating, n in figures.ratings.items()) / figures.responses
            if figures.responses
            else None
        )
        return [
            figures.day.isoformat(),
            count(figures.views),
            *(count(figures.shown_by_channel[channel]) for channel in CHANNELS),
            *(
                count(figures.by_outcome[outcome])
                for outcome in STATEMENT_OUTCOMES
                if outcome != "shown"
            ),
            derived(figures.median_ms, figures.latency_count, 0),
            derived(figures.p95_ms, figures.latency_count, 0),
            count(figures.sign_ins),
            count(figures.completions),
            count(figures.downloads),
            count(figures.certificates),
            count(figures.disputes_filed),
            count(figures.disputes_answered),
            str(minutes.observed),
            str(minutes.up),
            str(minutes.maintenance),
            str(minutes.outage),
            derived(minutes.ratio, 0, 4),
            count(figures.responses),
            derived(mean, figures.responses, 2),
        ]

    return [list(CSV_COLUMNS), *(row(figures) for figures in report.days)]


# The JSON's shape for OpenAPI (the answer itself is built by performance_json above). --------

Hidden = Annotated[int | None, Field(description="null when fewer than 10 (see fewer_than_10)")]


class DayCountOut(BaseModel):
    date: str
    count: Hidden
    fewer_than_10: bool


class MinutesOut(BaseModel):
    observed: int
    up: int
    maintenance: int
    outage: int


class ViewsOut(BaseModel):
    total: Hidden
    by_channel: dict[str, int | None]
    by_outcome: dict[str, int | None]


class DisputesOut(BaseModel):
    filed: Hidden
    answered: Hidden
    median_hours_to_answer: float | None


class SatisfactionOut(BaseModel):
    responses: Hidden
    mean: float | None
    by_rating: dict[str, int | None]


class KpisOut(BaseModel):
    cost_per_transaction: str | None = Field(description="manat, 2 decimals; null when not set")
    digital_take_up: float | None
    completion_rate: float | None
    user_satisfaction: float | None = Field(description="share of answers rating 4 or 5")


class PerformanceOut(BaseModel):
    """The last ``period_days`` Baku days; a figure of 1 to 9 events is null and listed in
    ``fewer_than_10`` by its path."""

    period_days: int
    first_date: str
    last_date: str
    availability: float | None
    availability_minutes: MinutesOut
    statement_views_per_day: list[DayCountOut]
    statement_views: ViewsOut
    median_response_ms: float | None
    p95_response_ms: float | None
    completion_rate: float | None
    sign_ins: Hidden
    downloads: Hidden
    certificates: Hidden
    disputes: DisputesOut
    satisfaction: SatisfactionOut
    kpis: KpisOut
    small_cell_minimum: int
    fewer_than_10: list[str]
