"""The bench's in-process measurement answers every endpoint with 200 and reports its CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.network import free_port
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_endpoint_is_measured_with_real_requests(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("WATERBILL_")},
        "WATERBILL_ENV": "development",
        "WATERBILL_DATABASE_URL": database_url,
        "WATERBILL_SECRET_KEY": "bench-test-secret-0123456789",
        "WATERBILL_PUBLIC_URL": url,
        "WATERBILL_LOG_LEVEL": "WARNING",
        "BENCH_CPU_REQUESTS": "40",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    settings = Settings(
        env="development",
        database_url=database_url,
        secret_key=env["WATERBILL_SECRET_KEY"],
        public_url=url,
    )
    pairs = tmp_path / "pairs.txt"
    with engine.begin() as db:
        for number in range(3):
            code, fin = f"010441020{number}", f"5ZK3LR{number}"
            subscriber_id = add_subscriber(db, code=code, holder_fin=fin)
            add_invoice(db, subscriber_id, "2026-10", "water", "1.000")
    with engine.connect() as db:
        claims = [citizen_claims(db=db, fin=f"5ZK3LR{n}", method="asan_imza") for n in range(3)]
    lines = [f"010441020{n} {access_token(settings, claims=claims[n])}" for n in range(3)]
    pairs.write_text("\n".join(lines) + "\n")

    names = ["api", "html", "sync_pool_reference"]
    if database_url.startswith("postgresql"):
        names.append("reference")  # the async reference runs on PostgreSQL only
    done = subprocess.run(
        [sys.executable, "-m", "bench.cpu_per_request", str(pairs), *names],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == set(names)
    for figure in figures.values():
        assert 0 < figure["cpu_ms"] < 1000
        assert figure["wall_ms"] > 0
