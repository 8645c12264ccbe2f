"""The bare app with the operations area installed, served over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.support.live_server import serve_asgi
from tests.support.ops_app import make_app
from waterbill.config import Settings

ServeOps = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def serve_ops(engine: Engine, settings: Settings) -> ServeOps:
    """Start an instance of the app on the session's database; settings overridable per call."""

    @contextmanager
    def serve(**overrides: Any) -> Iterator[str]:
        app = make_app(settings.model_copy(update=overrides))
        try:
            with serve_asgi(app) as url:
                yield url
        finally:
            app.state.ops.database.dispose()

    return serve


@pytest.fixture
def ops_url(serve_ops: ServeOps) -> Iterator[str]:
    with serve_ops() as url:
        yield url
