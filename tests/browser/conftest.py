"""Debian's chromium driven by Playwright, axe-core run inside the page, screenshots on disk.

Playwright never downloads a browser here: it drives the system chromium (``apt-get install
chromium``, done by .ci/run). axe-core comes from the axe-playwright-python package, installed by
``make install``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Connection

from tests.support.live_server import LiveServer, serve
from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

CHROMIUM = os.environ.get("WATERBILL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 320, "height": 640}
# "experimental" adds the rules axe-core has not yet made default, label-content-name-mismatch
# (WCAG 2.1 2.5.3, Label in Name) among them.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "experimental"]
AXE_SOURCE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


# Package scope: Playwright's sync API keeps an event loop running while it is open, which would
# break later tests that start their own (asyncio.run refuses to nest).
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium is needed at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=DESKTOP, accept_downloads=True, locale="az-AZ", bypass_csp=True
    )
    opened = context.new_page()
    yield opened
    context.close()


@contextmanager
def sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, name: str, seed: Callable[[Connection], None]
) -> Iterator[LiveServer]:
    """The app under uvicorn on a fresh SQLite database that ``seed`` fills."""
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'waterbill.db'}"
    upgrade(url)
    engine = make_engine(url, Settings(database_url=url))
    with engine.begin() as db:
        seed(db)
    try:
        with serve(url, engine) as live:
            yield live
    finally:
        engine.dispose()


@contextmanager
def visiting(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """One browsing session in Azerbaijani, downloads accepted, axe-core allowed in."""
    context = browser.new_context(
        base_url=server.url,
        viewport=DESKTOP,
        accept_downloads=True,
        locale="az-AZ",
        bypass_csp=True,  # axe-core is injected by the test; the pages' own CSP stays strict
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now.

    The page's CSP forbids inline scripts, so contexts that run axe are opened with bypass_csp.
    """
    page.add_script_tag(content=AXE_SOURCE)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        {
            "id": violation["id"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def save_screenshots(page: Page, name: str) -> list[Path]:
    """The page at desktop and at phone width, full length, under var/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size(DESKTOP)
    return saved
