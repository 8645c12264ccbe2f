"""Audit appends per second on PostgreSQL with one hash chain against several (issue 9).

    .venv/bin/python benchmarks/audit_chains.py --threads 16 --seconds 5 --chains 1 16

Creates a scratch database; for each chain count, THREADS threads each append one statement-view
event per transaction (what a statement view does) for SECONDS, with the chain picked as in
production. Prints appends/s, verifies every chain, and drops the database at the end.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid

import psycopg
from sqlalchemy import Engine, delete

from waterbill.audit.service import record_event, verify_chain
from waterbill.audit.tables import audit_anchors, audit_chain_head, audit_events
from waterbill.audit.tags import EventTag
from waterbill.config import get_settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

ADMIN_URL = os.environ.get(
    "WATERBILL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def run(engine: Engine, *, chains: int, threads: int, seconds: float) -> float:
    os.environ["WATERBILL_AUDIT_CHAINS"] = str(chains)
    get_settings.cache_clear()
    with engine.begin() as db:
        for table in (audit_events, audit_chain_head, audit_anchors):
            db.execute(delete(table))
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    deadline = 0.0

    def worker(index: int) -> None:
        start.wait()
        while time.perf_counter() < deadline:
            with engine.begin() as db:
                record_event(
                    db=db,
                    tag=EventTag.STATEMENT_VIEW,
                    actor=f"c_{index:032x}",
                    channel="api",
                    code="0104410200",
                    result="full",
                    reason="holder",
                )
            counts[index] += 1

    pool = [threading.Thread(target=worker, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    with engine.connect() as db:
        report = verify_chain(db=db)
    if not report.intact:
        raise SystemExit(f"chains do not verify: {report.describe()}")
    return sum(counts) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--chains", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    name = f"waterbill_audit_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        engine = make_engine(url, pool_size=args.threads, max_overflow=0)
        try:
            for chains in args.chains:
                rate = run(engine, chains=chains, threads=args.threads, seconds=args.seconds)
                print(f"{args.threads} threads, {chains:>3} chain(s): {rate:8.1f} appends/s")
        finally:
            engine.dispose()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
