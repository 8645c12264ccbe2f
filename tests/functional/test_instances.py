"""Any instance answers any request: nothing a citizen's requests need lives in one process.

Two app instances on their own ports share the store; ``waterbill serve --workers N`` runs N
processes on one port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.functional.signin import form_fields, sign_in
from tests.support.factories.billing import add_invoice, add_subscriber, months_ago
from tests.support.live_server import LiveServer, serve
from tests.support.network import free_port
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

FIN = "5ZK3LRT"
CODE = "0104410203"


def _household(engine: Engine) -> None:
    with engine.begin() as db:
        subscriber_id = add_subscriber(db, code=CODE, holder_fin=FIN)
        add_invoice(db, subscriber_id, months_ago(2), "water", "10.000")


@pytest.fixture
def two_instances(engine: Engine, database_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    with serve(database_url, engine) as first, serve(database_url, engine) as second:
        yield first, second


def test_a_session_begun_on_one_instance_is_honoured_and_ended_on_another(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_instances
    _household(first.engine)
    with httpx.Client(base_url=first.url, timeout=10) as on_first:
        back = sign_in(on_first, FIN)
        assert on_first.get(back.headers["location"]).status_code == 303
        cookies = dict(on_first.cookies)
    assert cookies, "signed in on the first instance"

    with httpx.Client(base_url=second.url, cookies=cookies, timeout=10) as on_second:
        page = on_second.get(f"/statements/{CODE}")
        assert page.status_code == 200
        assert on_second.get(f"/api/v1/statements/{CODE}").json()["totals"]["invoiced"] == "7.00"
        csrf = form_fields(on_second.get("/statements").text, "/auth/logout")["csrf_token"]
        assert on_second.post("/auth/logout", data={"csrf_token": csrf}).status_code == 303

    with httpx.Client(base_url=first.url, cookies=cookies, timeout=10) as back_on_first:
        assert back_on_first.get(f"/api/v1/statements/{CODE}").status_code == 401


def _workers(pid: int) -> list[int]:
    """uvicorn's worker processes under ``pid`` (multiprocessing also starts a resource tracker)."""
    tasks = Path(f"/proc/{pid}/task")
    children = [
        int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()
    ]
    return [
        child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def test_serve_with_two_workers_runs_two_processes_that_carry_sign_ins_over_fresh_connections(
    tmp_path: Path,
) -> None:
    # Once, on SQLite: the store is shared either way, and each start of two processes is slow.
    database_url = f"sqlite:///{tmp_path / 'waterbill.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    _household(engine)
    engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WATERBILL_ENV": "development",
        "WATERBILL_DATABASE_URL": database_url,
        "WATERBILL_SECRET_KEY": "functional-test-secret-0123456789",
        "WATERBILL_PUBLIC_URL": url,
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "waterbill.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            # A file, not a pipe: nothing drains a pipe during the test; a failure shows the log.
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while len(_workers(server.pid)) < 2 or not _answers(url):
            assert server.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.2)
        assert len(_workers(server.pid)) == 2

        # A fresh connection for every request, so the kernel spreads them over both workers:
        # the pre-sign-in state, the provider's code and the session must all be shared.
        no_reuse = httpx.Limits(max_keepalive_connections=0)
        for _ in range(2):
            with httpx.Client(base_url=url, limits=no_reuse, timeout=10) as client:
                back = sign_in(client, FIN)
                finished = client.get(back.headers["location"])
                assert finished.status_code == 303, log.read_text(errors="replace")[-4000:]
                for _ in range(3):
                    assert client.get(f"/statements/{CODE}").status_code == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
