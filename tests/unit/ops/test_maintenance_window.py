"""When maintenance ends, as the operator types it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from waterbill.ops.maintenance import MaintenanceWindow, parse_until

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_a_time_without_offset_is_baku_time() -> None:
    assert parse_until("2026-12-01 06:00", now=NOW) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_an_explicit_offset_is_respected() -> None:
    assert parse_until("2026-12-01T06:00+00:00", now=NOW) == datetime(2026, 12, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-11-26 13:00", "yesterday", "", "2026-13-01 06:00"])
def test_a_past_or_unreadable_end_is_refused(text: str) -> None:
    # 13:00 Baku is 09:00 UTC, an hour before NOW.
    with pytest.raises(ValueError, match=r"future|not a date"):
        parse_until(text, now=NOW)


def test_a_window_is_active_until_its_end_and_counts_the_seconds_left() -> None:
    window = MaintenanceWindow(until=NOW + timedelta(minutes=5), message=None, announced_at=NOW)
    assert window.is_active(NOW)
    assert window.seconds_left(NOW) == 300
    assert not window.is_active(NOW + timedelta(minutes=5))
