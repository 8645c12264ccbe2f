"""Probes for the platform: alive, ready (database and schema), and the metrics."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from waterbill.db.migrate import current_revision, head_revision
from waterbill.ops.threads import run_ops_check


@dataclass(frozen=True, slots=True)
class Readiness:
    database: str  # "ok" | "unreachable"
    migrations: str  # "head" | "behind" | "unknown"
    revision: str | None
    head: str | None

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.migrations == "head"


@lru_cache(maxsize=1)
def _head() -> str | None:
    # The migration scripts ship with the code: the head cannot change while the process runs.
    return head_revision()


def check_readiness(*, engine: Engine) -> Readiness:
    head = _head()
    try:
        revision = current_revision(engine)
    except SQLAlchemyError:
        return Readiness(database="unreachable", migrations="unknown", revision=None, head=head)
    migrations = "head" if revision == head else "behind"
    return Readiness(database="ok", migrations=migrations, revision=revision, head=head)


router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and answering."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and its schema is at the newest migration.

    Each read replica's state and lag is listed too, but does not decide readiness.
    """
    ops = request.app.state.ops
    result = Readiness(database="unreachable", migrations="unknown", revision=None, head=None)
    with anyio.move_on_after(ops.settings.request_deadline):
        result = await run_ops_check(lambda: check_readiness(engine=ops.database.primary))
    probe = await ops.monitor.probe() if result.database == "ok" else None
    window = probe.maintenance if probe is not None else None
    body = {
        "status": "ready" if result.ready else "not_ready",
        "database": result.database,
        "migrations": result.migrations,
        "revision": result.revision,
        "head": result.head,
        # Ready but closed to citizens: the platform should keep routing here, not restart it.
        "maintenance_until": window.until.isoformat() if window is not None else None,
        # Shown, not judged: reads fall back to the primary, so a lost replica leaves us ready.
        "replicas": [status.as_dict() for status in ops.database.replica_status()],
    }
    return JSONResponse(body, status_code=200 if result.ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this instance."""
    ops = request.app.state.ops
    await ops.metrics.refresh()
    return Response(generate_latest(ops.metrics.registry), media_type=CONTENT_TYPE_LATEST)
