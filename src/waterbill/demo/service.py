"""``load_demo_data``: generate and write demo data in one transaction, streaming by chunks.

On PostgreSQL the run is cut into shards (``generator.plan_shards``) that ``processes`` worker
processes generate and format as COPY text while this process streams the finished ones, in shard
order, to the database; the rows are the same whatever the number of processes.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from queue import Empty, Full, Queue
from typing import TypeVar, cast

from waterbill.db.database import Database
from waterbill.demo import repository
from waterbill.demo.copytext import CopyText, shard_copy_text
from waterbill.demo.generator import DemoCitizen, DemoGenerator, DemoPlan, plan_shards

T = TypeVar("T")


class DatabaseNotEmpty(RuntimeError):
    """Demo data goes into an empty database only: its codes would collide with real ones."""

    def __init__(self, subscribers: int) -> None:
        super().__init__(f"the database already holds {subscribers} subscribers")
        self.subscribers = subscribers


@dataclass(frozen=True, slots=True)
class DemoResult:
    loaded: bool
    existing_subscribers: int
    counts: dict[str, int]
    citizens: tuple[DemoCitizen, ...]


def default_processes() -> int:
    """One generating process per CPU this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_demo_data(
    *,
    database: Database,
    subscribers: int,
    seed: int,
    months: int,
    as_of: date,
    norm_m3_per_person: Decimal,
    if_empty: bool = False,
    chunk_size: int = 500,
    processes: int = 1,
) -> DemoResult:
    """Load demo data; with ``if_empty`` a database that has subscribers is left as it is.

    ``chunk_size`` subscribers are generated and written at a time; ``processes`` generate on
    PostgreSQL (SQLite generates in this process: its single writer is the limit there).
    Raises DatabaseNotEmpty when subscribers exist and ``if_empty`` is not set.
    """
    plan = DemoPlan(
        subscribers=subscribers,
        seed=seed,
        months=months,
        as_of=as_of,
        norm_m3_per_person=norm_m3_per_person,
        chunk_size=chunk_size,
    )
    if processes < 1:
        raise ValueError("at least one process")
    with database.write() as db:
        existing = repository.count_subscribers(db)
        if not existing and db.dialect.name == "postgresql":
            # Counted again under the lock: empty now means empty until this load commits.
            repository.lock_for_bulk_load(db)
            existing = repository.count_subscribers(db)
        if existing:
            if if_empty:
                return DemoResult(False, existing, {}, ())
            raise DatabaseNotEmpty(existing)
        # One transaction: a failed load leaves nothing behind, so it can simply be run again.
        if db.dialect.name == "postgresql":
            citizens: list[DemoCitizen] = []
            with repository.bulk_load(db) as loader:
                for shard in _copy_texts(plan, processes):
                    loader.write(shard)
                    citizens += shard.citizens
            counts = loader.counts
        else:
            generator = DemoGenerator(plan)
            for chunk in _prefetched(generator.chunks()):
                repository.write_chunk(db, chunk)
            counts, citizens = generator.counts, generator.citizens
        repository.finish(db)
    return DemoResult(True, 0, dict(counts), tuple(citizens))


def _copy_texts(plan: DemoPlan, processes: int) -> Iterator[CopyText]:
    """The shards' COPY text, in shard order."""
    shards = plan_shards(plan, plan.chunk_size)
    if processes == 1:
        yield from _prefetched(shard_copy_text(plan, shard) for shard in shards)
        return
    # Spawned, not forked: the workers must not inherit this process's database connection. A
    # worker that dies breaks the pool, which raises here and rolls the load back.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=spawn) as pool:
        # Two shards per worker in flight: the workers never wait for this process, and memory
        # holds a bounded number of shards however large the run.
        pending: deque[Future[CopyText]] = deque()
        try:
            for shard in shards:
                pending.append(pool.submit(shard_copy_text, plan, shard))
                if len(pending) >= 2 * processes:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            # A load that stops early (an error, or the caller leaving) waits for no more shards.
            for future in pending:
                future.cancel()


_DONE = object()


def _prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Produce the next items in a thread while the database ingests the current one.

    At most ``depth`` items wait in the queue, so memory stays flat; an error in the producer
    is raised here, and leaving early stops the thread.
    """
    queue: Queue[object] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return
            except Full:
                continue

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                put(item)
            put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            put(error)

    thread = threading.Thread(target=produce, name="demo-data-generator", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = queue.get(timeout=0.1)
            except Empty:
                if not thread.is_alive() and queue.empty():
                    raise RuntimeError("the demo data generator stopped unexpectedly") from None
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
    finally:
        stop.set()
        thread.join()
