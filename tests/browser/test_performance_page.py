"""The public performance page in Debian's chromium: axe-clean in the three languages, readable
on a 320 px phone (the charts and the table scroll inside their own regions)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from tests.browser.conftest import PHONE, assert_accessible, horizontal_overflow, save_screenshots
from tests.support.live_server import LiveServer, serve
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.performance.recorder import Recorder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('performance') / 'waterbill.db'}"
    upgrade(url)
    engine: Engine = make_engine(url, Settings(database_url=url))
    # A day with enough views to show, and hidden figures beside them.
    recorder = Recorder(engine)
    for n in range(40):
        recorder.statement_view(channel="web" if n % 4 else "api", outcome="shown", seconds=0.08)
    recorder.statement_view(channel="web", outcome="unknown_code", seconds=None)
    recorder.flush()
    try:
        with serve(url, engine) as live:
            yield live
    finally:
        engine.dispose()


@pytest.mark.parametrize("locale", ["az", "en", "ru"])
def test_the_performance_page_is_accessible_in_every_language_and_fits_a_phone(
    page: Page, server: LiveServer, locale: str
) -> None:
    page.goto(f"{server.url}/performance?lang={locale}")
    assert page.locator("h1").count() == 1
    assert page.locator("svg.chart[role=img]").count() == 3
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) == 0
    if locale == "az":
        save_screenshots(page, "performance")
    assert httpx.get(f"{server.url}/api/v1/performance").json()["statement_views"]["total"] == 40
