"""The service's one clock: every "now" and every Baku "today" in ``src/`` is read here.

Production reads the system clock; the test suite moves it with time-machine (``pytest
--clock=INSTANT`` runs every test at that instant), so what "today" is, and with it the 12-month
window, the reporting period and every expiry, is never an accident of the day a test runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from waterbill.calendar import baku_date


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Baku (UTC+4): the calendar that fixes billing months and windows."""
    return baku_date(now())
