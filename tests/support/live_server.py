"""Real HTTP in the test process: uvicorn in a thread on a free loopback port.

``serve`` runs the waterbill app itself (with the bundled identity provider); ``serve_asgi`` runs
any ASGI app, for the tests that build a bare one around a single area.
"""

from __future__ import annotations

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
from starlette.types import ASGIApp

from tests.support.network import free_port
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


@contextmanager
def serve(database_url: str, engine: Engine, **overrides: Any) -> Iterator[LiveServer]:
    """The app in a uvicorn thread on a free port, stopped when the block ends."""
    port = free_port()
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


@contextmanager
def sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Iterator[LiveServer]:
    """``serve`` on a fresh SQLite database of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'waterbill.db'}"
    upgrade(url)
    engine = make_engine(url, Settings(database_url=url))
    try:
        with serve(url, engine, **overrides) as server:
            yield server
    finally:
        engine.dispose()


@contextmanager
def serve_asgi(app: ASGIApp, port: int = 0) -> Iterator[str]:
    """Any ASGI app, without its lifespan, on ``port`` (0: one the OS picks); yields its URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
