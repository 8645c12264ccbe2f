"""The rules of the figures: percentiles from summed buckets, the small-cell rule, availability."""

from __future__ import annotations

import pytest

from waterbill.errors import ServiceError
from waterbill.performance.domain import (
    Availability,
    MalformedRating,
    latency_bucket,
    parse_rating,
    percentile,
    shown_count,
)


def test_a_response_time_falls_in_the_first_bucket_that_holds_it() -> None:
    assert latency_bucket(0.4) == "25"
    assert latency_bucket(25) == "25"
    assert latency_bucket(25.01) == "50"
    assert latency_bucket(60_000) == "inf"


def test_the_median_and_p95_are_read_from_the_buckets_of_every_instance_added_up() -> None:
    first = {"50": 40, "100": 10}
    second = {"50": 10, "100": 30, "500": 10}
    summed = {key: first.get(key, 0) + second.get(key, 0) for key in {*first, *second}}
    # 100 views: 50 within 50 ms, 40 from 50 to 100 ms, 10 from 400 to 500 ms.
    assert percentile(summed, 0.5) == 50.0
    assert percentile(summed, 0.95) == pytest.approx(450.0)
    assert percentile({}, 0.5) is None
    assert percentile({"inf": 3}, 0.5) == 5000.0


def test_fewer_than_ten_events_are_hidden_but_none_and_ten_are_shown() -> None:
    assert [shown_count(n) for n in (0, 1, 9, 10, 11)] == [0, None, None, 10, 11]


def test_announced_maintenance_is_left_out_of_availability_and_outages_are_not() -> None:
    minutes = Availability(observed=100, up=90, maintenance=5)
    assert minutes.outage == 5
    assert minutes.ratio == pytest.approx(90 / 95)
    assert Availability(observed=0, up=0, maintenance=0).ratio is None


@pytest.mark.parametrize("value", [1, 5, "3", " 4 "])
def test_a_rating_is_a_whole_number_from_one_to_five(value: object) -> None:
    assert parse_rating(value) in (1, 3, 4, 5)


@pytest.mark.parametrize("value", [0, 6, "five", 3.5, True, None, "", "-1"])
def test_anything_else_is_refused_with_a_stable_code(value: object) -> None:
    with pytest.raises(MalformedRating) as refusal:
        parse_rating(value)
    assert isinstance(refusal.value, ServiceError)
    assert refusal.value.code == "malformed_rating"
