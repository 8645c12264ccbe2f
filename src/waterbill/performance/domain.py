"""The rules of the figures, without a database: histogram buckets, percentiles, the small-cell
rule, availability and the feedback's checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from waterbill.disputes.domain import clean_text
from waterbill.errors import ServiceError

# Event names of performance_counts. Any other name may be recorded too (record(event=…)): the
# page and the JSON read these.
STATEMENT_VIEW = "statement_view"
STATEMENT_MS = "statement_ms"
DOWNLOAD = "download"
CERTIFICATE = "certificate"

CHANNELS = ("web", "api", "cli")
Channel = Literal["web", "api", "cli"]

# A figure drawn from fewer events than this is shown as "< 10": it could point at a household.
SMALL_CELL = 10

RATINGS = (1, 2, 3, 4, 5)
COMMENT_MAX_LENGTH = 500

# Upper bounds (ms) of the response-time buckets; one more bucket, "inf", holds the rest. Fixed,
# so every instance's counts add up in the database and the percentiles are read from the sum.
LATENCY_BOUNDS_MS = (
    25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000,
)  # fmt: skip
OVERFLOW = "inf"


class MalformedRating(ServiceError):
    code = "malformed_rating"
    status = 422


def latency_bucket(milliseconds: float) -> str:
    """The bucket (its upper bound as text) a response time falls in."""
    for bound in LATENCY_BOUNDS_MS:
        if milliseconds <= bound:
            return str(bound)
    return OVERFLOW


def percentile(histogram: Mapping[str, int], fraction: float) -> float | None:
    """The ``fraction`` quantile (0.5: the median) of a bucket histogram, in ms.

    Linear within the bucket that holds it, as Prometheus' histogram_quantile; a quantile in the
    overflow bucket is reported as the last bound (a floor: "at least 5000 ms").
    """
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    lower = 0.0
    for bound in LATENCY_BOUNDS_MS:
        count = histogram.get(str(bound), 0)
        if count and seen + count >= rank:
            return lower + (bound - lower) * (rank - seen) / count
        seen += count
        lower = float(bound)
    return float(LATENCY_BOUNDS_MS[-1])


def small(count: int) -> bool:
    """True for a count the small-cell rule hides (1 to 9; nothing is hidden in zero)."""
    return 0 < count < SMALL_CELL


def shown_count(count: int) -> int | None:
    """The count, or None where the small-cell rule hides it."""
    return None if small(count) else count


@dataclass(frozen=True, slots=True)
class Availability:
    """Minutes of one period: observed (since measuring began), up and under maintenance."""

    observed: int
    up: int
    maintenance: int

    @property
    def outage(self) -> int:
        return max(0, self.observed - self.up - self.maintenance)

    @property
    def ratio(self) -> float | None:
        """Up minutes among those that should have been up: announced maintenance is apart."""
        expected = self.observed - self.maintenance
        if expected <= 0:
            return None
        return min(1.0, self.up / expected)


def rounded(value: float | None, places: int) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, places)


def parse_rating(value: object) -> int:
    """A rating of 1 to 5, from JSON (an integer) or a form (its text)."""
    if isinstance(value, bool):
        raise MalformedRating()
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value not in RATINGS:
        raise MalformedRating()
    return value


def clean_comment(raw: str | None) -> str | None:
    """The optional comment, cleaned as a dispute's text is; None when empty."""
    text = clean_text(raw, required=False, max_length=COMMENT_MAX_LENGTH)
    return text or None
