"""Announced maintenance through the real command, seen by two app instances at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine

from tests.functional.ops.conftest import ServeOps
from waterbill.config import Settings

WATERBILL = [str(Path(sys.executable).with_name("waterbill"))]


def _waterbill(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATERBILL_DATABASE_URL": settings.database_url, "WATERBILL_ENV": "test"}
    return subprocess.run(
        [*WATERBILL, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _eventually(check: Callable[[], bool], within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {within} s")


def test_maintenance_switched_on_by_the_command_closes_both_instances_and_off_reopens_them(
    serve_ops: ServeOps, engine: Engine, settings: Settings
) -> None:
    with serve_ops() as first, serve_ops() as second:
        for base in (first, second):
            assert httpx.get(f"{base}/statement/0104410203").status_code == 404

        on = _waterbill(
            settings,
            "maintenance", "on", "--until", "2099-12-01 06:00",
            "--message", "Sayğac məlumatları yenilənir <b>tezliklə</b>",
        )  # fmt: skip
        assert on.returncode == 0, on.stderr
        assert "2099-12-01 06:00" in on.stdout

        for base in (first, second):
            _eventually(lambda b=base: httpx.get(f"{b}/statement/1").status_code == 503, 1.5)
            page = httpx.get(f"{base}/statement/0104410203")
            assert page.status_code == 503
            assert "01.12.2099 06:00" in page.text
            assert "Sayğac məlumatları yenilənir &lt;b&gt;tezliklə&lt;/b&gt;" in page.text
            assert "<b>" not in page.text
            assert int(page.headers["retry-after"]) > 3600
            api = httpx.get(f"{base}/api/v1/statements/0104410203?lang=ru")
            assert api.status_code == 503
            assert api.json()["error"]["code"] == "maintenance"
            assert api.json()["error"]["until"] == "2099-12-01T02:00:00+00:00"
            assert "технические работы" in api.json()["error"]["message"]
            assert httpx.get(f"{base}/healthz").status_code == 200
            ready = httpx.get(f"{base}/readyz")
            assert ready.status_code == 200
            assert ready.json()["maintenance_until"] == "2099-12-01T02:00:00+00:00"

        off = _waterbill(settings, "maintenance", "off")
        assert off.returncode == 0, off.stderr
        for base in (first, second):
            _eventually(
                lambda b=base: httpx.get(f"{b}/statement/0104410203").status_code == 404, 1.5
            )


def test_the_command_refuses_an_end_in_the_past_and_changes_nothing(
    settings: Settings, engine: Engine
) -> None:
    result = _waterbill(settings, "maintenance", "on", "--until", "2020-01-01 06:00")
    assert result.returncode == 2
    assert "future" in result.stderr
    assert _waterbill(settings, "maintenance", "off").stdout.strip() == "maintenance was not on"
