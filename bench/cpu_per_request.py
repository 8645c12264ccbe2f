"""CPU time per request of each endpoint, in one process, without a network or a load generator.

``python -m bench.cpu_per_request PAIRS ENDPOINT...`` drives the ASGI app directly (each request a
bare ASGI call, eight at a time) with the (code, token) pairs in PAIRS, and prints one JSON object:
per endpoint, the process's CPU milliseconds and the wall milliseconds per request. The database
runs in its own processes and is not counted.

On a shared 2-core machine the wrk figures move with whatever else runs; the CPU one request costs
the app barely does, so this is the steadier comparison of where the time goes. The settings come
from the environment, exactly as for the served app (bench/run.py sets them).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn

Asgi = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]

ENDPOINTS = {
    "api": ("waterbill", "/api/v1/statements/"),
    "html": ("waterbill", "/statements/"),
    "reference": ("reference", "/reference/statements/"),
    "sync_pool_reference": ("limits", "/limit/statements/"),
    "static": ("limits", "/limit/static?"),
}
CONCURRENCY = 8
MEASURED = int(os.environ.get("BENCH_CPU_REQUESTS", "1600"))


@contextmanager
def _provider_served(app: Any) -> Iterator[None]:
    if app is None:
        yield
        return
    address = urlsplit(app.state.settings.base_url)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=address.hostname, port=address.port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join()


def _app(kind: str) -> Any:
    if kind == "reference":
        from bench.reference_app import create_app as reference

        return reference()
    if kind == "limits":
        from bench.limits_app import create_app as limits

        return limits()
    from waterbill.web.app import create_app

    return create_app()


async def _get(app: Asgi, path: str, token: str) -> int:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"accept-language", b"az"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _measure(name: str, pairs: list[tuple[str, str]]) -> dict[str, float]:
    kind, prefix = ENDPOINTS[name]
    app = _app(kind)
    async with app.router.lifespan_context(app):

        async def worker(offset: int, count: int) -> None:
            for index in range(count):
                code, token = pairs[(offset + index) % len(pairs)]
                path = prefix if prefix.endswith("?") else prefix + code
                status = await _get(app, path, token)
                if status != 200:
                    raise RuntimeError(f"{name}: {path} answered {status}")

        # The warm-up goes through every pair once, so each token is checked (and remembered) as
        # it is in a served worker after its first seconds; the bundled provider answers the key
        # look-ups meanwhile on the app's public address, and is stopped before measuring.
        share = -(-len(pairs) // CONCURRENCY)  # every pair once, in CONCURRENCY runs
        with _provider_served(app if kind == "waterbill" else None):
            await asyncio.gather(*(worker(k * share, share) for k in range(CONCURRENCY)))
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.gather(
            *(worker(k * 251, MEASURED // CONCURRENCY) for k in range(CONCURRENCY))
        )
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    if kind != "reference":
        app.state.database.dispose()
    return {"cpu_ms": cpu * 1000 / MEASURED, "wall_ms": wall * 1000 / MEASURED}


def main() -> None:
    pairs_file, *names = sys.argv[1:]
    pairs = [
        (code, token)
        for code, token in (line.split() for line in Path(pairs_file).read_text().splitlines())
    ]
    figures = {name: asyncio.run(_measure(name, pairs)) for name in names}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
