"""Audit appends per second on PostgreSQL with one hash chain against several (issue 9).

    .venv/bin/python -m bench.audit_chains --processes 4 --threads 4 --seconds 5 --chains 1 16

Creates a scratch database; for each chain count, PROCESSES processes of THREADS threads each
append one statement-view event per transaction (what a statement view does) for SECONDS, with the
chain picked as in production. Prints appends/s, verifies every chain, and drops the database.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import threading
import time
import uuid

import psycopg
from sqlalchemy import delete

from waterbill.audit.service import record_event, verify_chain
from waterbill.audit.tables import audit_anchors, audit_chain_head, audit_events
from waterbill.audit.tags import EventTag
from waterbill.config import get_settings
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

ADMIN_URL = os.environ.get(
    "WATERBILL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def appends(url: str, chains: int, threads: int, seconds: float) -> int:
    """One process's share: THREADS threads appending for SECONDS; returns how many committed."""
    os.environ["WATERBILL_AUDIT_CHAINS"] = str(chains)
    get_settings.cache_clear()
    engine = make_engine(url, pool_size=threads, max_overflow=0)
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
    start.wait()
    for thread in pool:
        thread.join()
    engine.dispose()
    return sum(counts)


def run(url: str, *, chains: int, processes: int, threads: int, seconds: float) -> float:
    engine = make_engine(url)
    with engine.begin() as db:
        for table in (audit_events, audit_chain_head, audit_anchors):
            db.execute(delete(table))
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        total = sum(pool.starmap(appends, [(url, chains, threads, seconds)] * processes))
    elapsed = time.perf_counter() - began
    with engine.connect() as db:
        report = verify_chain(db=db)
    if not report.intact:
        raise SystemExit(f"chains do not verify: {report.describe()}")
    engine.dispose()
    # Process start-up is inside ``elapsed``: the figure slightly understates both runs alike.
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--chains", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    name = f"waterbill_audit_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        for chains in args.chains:
            rate = run(
                url,
                chains=chains,
                processes=args.processes,
                threads=args.threads,
                seconds=args.seconds,
            )
            print(
                f"{args.processes} processes x {args.threads} threads, {chains:>3} chain(s): "
                f"{rate:8.1f} appends/s"
            )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
