"""The real app under uvicorn on a free loopback port, with the bundled identity provider."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from waterbill.config import Settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade
from waterbill.web.app import create_app


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings
    engine: Engine
    app: FastAPI


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(database_url: str, engine: Engine, **overrides: Any) -> Iterator[LiveServer]:
    """The app in a uvicorn thread on a free port, stopped when the block ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        env="development",
        database_url=database_url,
        secret_key="functional-test-secret-0123456789",
        public_url=url,
        **overrides,
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.02)
    try:
        yield LiveServer(url=url, settings=settings, engine=engine, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.database.dispose()


@pytest.fixture
def live_server(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    """On each engine, for tests where the database matters."""
    with serve(database_url, engine) as server:
        yield server


@contextmanager
def sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'waterbill.db'}"
    upgrade(url)
    engine = make_engine(url, Settings(database_url=url))
    try:
        with serve(url, engine, **overrides) as server:
            yield server
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for a module whose tests do not depend on the database engine."""
    with sqlite_server(tmp_path_factory) as server:
        yield server


STAFF_FIN = "5ZK3LRT"


@pytest.fixture(scope="module")
def staff_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Like ``sqlite_live_server``, with ``STAFF_FIN`` an admin (the staff operations open)."""
    with sqlite_server(tmp_path_factory, admin_fins=[STAFF_FIN]) as server:
        yield server
